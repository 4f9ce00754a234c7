import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { processAlive } from "../../lab/namespace-lab.js";
import {
  daemonRecordPath,
  endLeftoverDaemons,
  forgetDaemon,
  processStartTime,
  recordDaemon,
} from "../../src/linux/daemon-pids.js";
import { silentLogger } from "../../src/log.js";

describe("records of running daemons", () => {
  let dir: string;
  const children: number[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "statenet-pids-"));
  });
  afterEach(async () => {
    for (const pid of children.splice(0)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  // A stand-in daemon: no network, just a process of ours.
  const startSleeper = (ignoreTerm = false) => {
    const child = spawn(
      "sh",
      ["-c", ignoreTerm ? "trap '' TERM; sleep 30 & wait" : "exec sleep 30"],
      {
        stdio: "ignore",
      },
    );
    children.push(child.pid as number);
    return child.pid as number;
  };

  it("ends a recorded daemon that still runs, and removes the record", async () => {
    const pid = startSleeper();
    const path = daemonRecordPath(dir, "udhcpc", "eth0");
    await recordDaemon(path, pid, silentLogger());
    expect(await endLeftoverDaemons(dir, silentLogger())).toEqual([`udhcpc-eth0 (pid ${pid})`]);
    expect(await processStartTime(pid)).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
  });

  it("kills one that ignores SIGTERM after 2 s", async () => {
    const pid = startSleeper(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await recordDaemon(daemonRecordPath(dir, "wpa_supplicant", "eth0"), pid, silentLogger());
    await endLeftoverDaemons(dir, silentLogger());
    expect(await processStartTime(pid)).toBeUndefined();
  });

  it("leaves alone a pid that now belongs to another process, and forgets torn or foreign records", async () => {
    const pid = startSleeper();
    // The same pid with another start time: the kernel gave it to someone else since.
    await writeFile(
      daemonRecordPath(dir, "udhcpc", "eth0"),
      JSON.stringify({ pid, startTime: "1", name: "udhcpc" }),
    );
    await writeFile(daemonRecordPath(dir, "udhcpc", "eth1"), "{ torn");
    await writeFile(
      daemonRecordPath(dir, "udhcpc", "eth2"),
      JSON.stringify({ pid: 1, startTime: await processStartTime(1), name: "init" }),
    );
    expect(await endLeftoverDaemons(dir, silentLogger())).toEqual([]);
    expect(processAlive(pid)).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  it("a forgotten daemon is not ended; a missing directory ends nothing", async () => {
    const pid = startSleeper();
    const path = daemonRecordPath(dir, "udhcpc", "eth0");
    await recordDaemon(path, pid, silentLogger());
    await forgetDaemon(path);
    expect(await endLeftoverDaemons(dir, silentLogger())).toEqual([]);
    expect(processAlive(pid)).toBe(true);
    expect(await endLeftoverDaemons(join(dir, "none"), silentLogger())).toEqual([]);
  });
});
