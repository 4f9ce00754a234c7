import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { processAlive } from "../../lab/namespace-lab.js";
import { createCommandRunner } from "../../src/linux/command-runner.js";
import { GROUP_SIGNAL_GRACE_MS } from "../../src/linux/group-signal.js";
import { SupervisedProcess } from "../../src/linux/supervised-process.js";
import { silentLogger } from "../../src/log.js";
import { waitUntil } from "../support/wait.js";

// Plain `sh` processes: no network, so the machine's own namespace is fine here.
const runner = createCommandRunner();

describe("SupervisedProcess", () => {
  let supervised: SupervisedProcess | undefined;
  afterEach(async () => {
    await supervised?.stop();
    supervised = undefined;
  });

  const start = (script: string, events: string[], restartDelayMs = 50, restartOnExit = true) => {
    let runs = 0;
    supervised = new SupervisedProcess({
      name: "test daemon",
      runner,
      logger: silentLogger(),
      restartDelayMs,
      restartOnExit,
      start: () => {
        runs += 1;
        const run = runs;
        events.push(`start ${run}`);
        return {
          file: "sh",
          args: ["-c", script],
          env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
          ended: () => events.push(`ended ${run}`),
        };
      },
      onLine: (line) => events.push(`line ${line}`),
      onExit: ({ code }) => events.push(`exit ${code}`),
    });
    return supervised;
  };

  it("restarts a process that died, reports its exit, hands on its lines", async () => {
    const events: string[] = [];
    const daemon = start("echo hello; exit 3", events);
    await waitUntil("a restart", () => daemon.restarts >= 1 && events.includes("start 2"));
    expect(events.slice(0, 5)).toEqual(["start 1", "line hello", "ended 1", "exit 3", "start 2"]);
  });

  it("with restartOnExit off, a death is reported and nothing starts again", async () => {
    const events: string[] = [];
    const daemon = start("exit 4", events, 1, false);
    await waitUntil("the exit report", () => events.includes("exit 4"));
    // An absence is only seen over a window: this one is 200 times the restart delay.
    await sleep(200);
    await daemon.stop();
    expect(events).toEqual(["start 1", "ended 1", "exit 4"]);
    expect(daemon.restarts).toBe(0);
  });

  it("restart() replaces a running process at once, without an exit report or backoff", async () => {
    const events: string[] = [];
    const daemon = start("exec sleep 30", events, 60_000);
    await waitUntil("a pid", () => daemon.pid);
    const first = daemon.pid as number;
    daemon.restart();
    await waitUntil("a new process", () => daemon.pid !== undefined && daemon.pid !== first);
    expect(processAlive(first)).toBe(false);
    expect(events).toEqual(["start 1", "ended 1", "start 2"]);
    expect(daemon.restarts).toBe(0);
  });

  it("restart() while waiting out the backoff starts one now", async () => {
    const events: string[] = [];
    const daemon = start("exit 1", events, 60_000);
    await waitUntil("the first exit", () => events.includes("exit 1"));
    daemon.restart();
    await waitUntil("a start without the minute's wait", () => events.includes("start 2"), 1_000);
  });

  it("an exit 0 or a death by SIGTERM it did not cause counts only if it is not stopped within a second", async () => {
    // What a supervisor's group-wide SIGTERM looks like from here: udhcpc catches it and exits 0.
    const events: string[] = [];
    let daemon = start("exit 0", events, 10);
    await waitUntil("the exit", () => events.includes("ended 1"));
    await sleep(200);
    await daemon.stop();
    await sleep(GROUP_SIGNAL_GRACE_MS);
    expect(events).toEqual(["start 1", "ended 1"]);

    const killed: string[] = [];
    daemon = start("exec sleep 30", killed, 10);
    process.kill(await waitUntil("a pid", () => daemon.pid), "SIGTERM");
    await waitUntil("the exit", () => killed.includes("ended 1"));
    expect(killed).toEqual(["start 1", "ended 1"]);
    // Nobody stopped it: after the grace it is a death like any other, and restarted.
    await waitUntil(
      "the exit reported",
      () => killed.includes("exit null"),
      2 * GROUP_SIGNAL_GRACE_MS,
    );
    await waitUntil("a restart", () => killed.includes("start 2"));
  });

  it("stop() ends the process (SIGTERM) and no restart follows", async () => {
    const events: string[] = [];
    const daemon = start("exec sleep 30", events, 10);
    const pid = await waitUntil("a pid", () => daemon.pid);
    await daemon.stop();
    expect(processAlive(pid)).toBe(false);
    await sleep(50);
    expect(events).toEqual(["start 1", "ended 1"]);
    expect(daemon.pid).toBeUndefined();
  });
});
