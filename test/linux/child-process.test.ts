import { describe, expect, it } from "vitest";
import { failureOf, inCLocale, runToEnd, startProgram } from "../../src/linux/child-process.js";
import { processExit } from "../../src/linux/terminate.js";

const env = inCLocale();

describe("runToEnd", () => {
  it("gives the output without its final newline, and the exit code", async () => {
    const outcome = await runToEnd("sh", ["-c", 'printf "a\\nb\\n"; echo oops >&2; exit 3'], {
      env,
    });
    expect(outcome).toMatchObject({ exitCode: 3, stdout: "a\nb", stderr: "oops", timedOut: false });
    expect(failureOf(outcome)).toBe("oops");
  });

  it("feeds its input, and the program's stdin is /dev/null without one", async () => {
    expect((await runToEnd("cat", [], { env, input: "line 1\nline 2\n" })).stdout).toBe(
      "line 1\nline 2",
    );
    expect(await runToEnd("cat", [], { env })).toMatchObject({ exitCode: 0, stdout: "" });
  });

  it("stops a program that runs out of its time, and says so", async () => {
    const outcome = await runToEnd("sleep", ["30"], { env, timeoutMs: 50 });
    expect(outcome).toMatchObject({ exitCode: null, signal: "SIGTERM", timedOut: true });
    expect(failureOf(outcome, 50)).toBe("timed out after 50 ms");
  });

  it("stops a program when its signal aborts, and never starts one for an aborted signal", async () => {
    const controller = new AbortController();
    const running = runToEnd("sleep", ["30"], { env, signal: controller.signal });
    controller.abort();
    expect(await running).toMatchObject({ cancelled: true, signal: "SIGTERM" });
    expect(await runToEnd("sleep", ["30"], { env, signal: controller.signal })).toMatchObject({
      cancelled: true,
      exitCode: null,
      signal: null,
    });
  });

  it("reports a program that does not exist as a start error, not an exit code", async () => {
    const outcome = await runToEnd("/nonexistent/program", [], { env });
    expect(outcome.exitCode).toBeNull();
    expect(outcome.startError?.code).toBe("ENOENT");
    expect(failureOf(outcome)).toMatch(/ENOENT/);
  });

  it("does not fail when the program exits without reading its input", async () => {
    const outcome = await runToEnd("true", [], { env, input: "x".repeat(1 << 20) });
    expect(outcome.exitCode).toBe(0);
  });
});

describe("processExit", () => {
  it("resolves for a child that already exited, and for one that never started", async () => {
    const child = startProgram("sh", ["-c", "exit 4"], { env });
    expect(await processExit(child)).toEqual({ code: 4, signal: null });
    // Asked again after the exit event: answered from the child's own record.
    expect(await processExit(child)).toEqual({ code: 4, signal: null });
    const missing = startProgram("/nonexistent/program", [], { env });
    expect(await processExit(missing)).toEqual({ code: null, signal: null });
  });
});
