import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createCommandRunner } from "../../src/linux/command-runner.js";
import {
  AlreadyRunningError,
  InstanceLockError,
  LOCK_FILE_NAME,
  takeInstanceLock,
} from "../../src/linux/instance-lock.js";
import { createNetworkManager } from "../../src/network-manager.js";

const HOLDER = fileURLToPath(new URL("./hold-lock.ts", import.meta.url));

describe("the instance lock", () => {
  let dir: string;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "statenet-lock-"));
  });

  afterEach(async () => {
    for (const child of children.splice(0)) child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  /** Another process holding the lock on `dir`, once it says so. */
  async function holder(): Promise<ChildProcess> {
    const child = spawn(process.execPath, ["--import", "tsx", HOLDER, dir], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once("data", () => resolve());
      child.once("exit", (code) => reject(new Error(`holder exited with ${code}`)));
    });
    return child;
  }

  it("is one holder's at a time: a second taker is told the holder's pid", async () => {
    const child = await holder();
    const second = takeInstanceLock(dir);
    await expect(second).rejects.toThrow(AlreadyRunningError);
    await expect(second).rejects.toThrow(`statenet is already running (pid ${child.pid})`);
    expect(await readFile(join(dir, LOCK_FILE_NAME), "utf8")).toBe(`${child.pid}\n`);
  });

  it("goes with a holder killed outright (SIGKILL)", async () => {
    const child = await holder();
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    const lock = await takeInstanceLock(dir);
    expect(await readFile(lock.path, "utf8")).toBe(`${process.pid}\n`);
    await lock.release();
  });

  it("is released by release(), also within one process, and its file is private", async () => {
    const lock = await takeInstanceLock(join(dir, "made"));
    expect((await stat(lock.path)).mode & 0o777).toBe(0o600);
    await expect(takeInstanceLock(join(dir, "made"))).rejects.toThrow(
      `statenet is already running (pid ${process.pid})`,
    );
    await lock.release();
    await (await takeInstanceLock(join(dir, "made"))).release();
  });

  it("is not held by the daemons the holder started: they outlive a release", async () => {
    const lock = await takeInstanceLock(dir);
    const daemon = createCommandRunner().spawn("sleep", ["30"], { env: {} });
    try {
      await lock.release();
      await (await takeInstanceLock(dir)).release();
    } finally {
      daemon.kill("SIGKILL");
      await daemon;
    }
  });

  it("stops NetworkManager.start() before it touches anything", async () => {
    const lock = await takeInstanceLock(join(dir, "run"));
    const manager = createNetworkManager({
      config: {
        internetHosts: [],
        tmpDir: join(dir, "run"),
        stateDir: join(dir, "state"),
        resolvConf: join(dir, "resolv.conf"),
      },
      // Nothing may reach a network: were the lock ignored, every ip command would fail.
      netns: "statenet-test-no-such-namespace",
    });
    try {
      await expect(manager.start()).rejects.toThrow(AlreadyRunningError);
      expect(await readdir(dir)).toEqual(["run"]);
      expect(await readdir(join(dir, "run"))).toEqual([LOCK_FILE_NAME]);
    } finally {
      await manager.stop();
      await lock.release();
    }
  });

  it("says so when there is no flock program", async () => {
    const path = process.env.PATH;
    process.env.PATH = dir;
    try {
      await expect(takeInstanceLock(join(dir, "run"))).rejects.toThrow(
        new InstanceLockError(
          join(dir, "run", LOCK_FILE_NAME),
          "no flock program (tried flock, busybox flock); install util-linux",
        ),
      );
    } finally {
      process.env.PATH = path;
    }
  });

  it("names no pid that does not hold the file open (one left by an earlier holder)", async () => {
    await holder();
    // Alive, but not the holder: what the file says just after a new holder locked it.
    await writeFile(join(dir, LOCK_FILE_NAME), `${process.ppid}\n`);
    await expect(takeInstanceLock(dir)).rejects.toThrow(
      "statenet is already running (pid unknown)",
    );
  });
});
