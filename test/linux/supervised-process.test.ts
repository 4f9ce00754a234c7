import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { createCommandRunner } from "../../src/linux/command-runner.js";
import { processAlive } from "../../src/linux/lab.js";
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

  const start = (script: string, events: string[], restartDelayMs = 50) => {
    let runs = 0;
    supervised = new SupervisedProcess({
      name: "test daemon",
      runner,
      logger: silentLogger(),
      restartDelayMs,
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
