import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { mkdir, open, readdir, readFile, readlink, realpath } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * One manager per tmpDir: two would end each other's udhcpc (the leftover
 * sweep), fight over the DHCP and control sockets, and rewrite each other's
 * routes. The lock is an flock(2) on `tmpDir/statenet.lock`, because the
 * kernel drops it with the last descriptor of the open file: a manager that
 * is SIGKILLed, or dies any other way, releases it, and no pid written
 * anywhere (and since reused) can fool it. Node has no flock call and
 * statenet takes no native code, so `flock -n 3` (util-linux, or busybox's
 * applet) locks the descriptor it inherits from us: a flock belongs to the
 * open file description, which we keep open after the helper exits. Our
 * other children never hold it: Node opens files close-on-exec. The holder's
 * pid is written into the file for the message a second manager prints.
 *
 * Rejected: a lock file holding pid and start time (taking over a stale one
 * races with a second manager doing the same), and an abstract unix socket
 * (atomic and released by the kernel too, but scoped to the network
 * namespace, not to tmpDir, and any local user could squat on its name).
 */

export const LOCK_FILE_NAME = "statenet.lock";

/** How long a second manager waits for the holder to write its pid after locking. */
const HOLDER_PID_WAIT_MS = 2_000;

/** The programs that can flock an inherited descriptor, in order of preference. */
const FLOCK_PROGRAMS: ReadonlyArray<readonly [string, ...string[]]> = [
  ["flock"],
  ["busybox", "flock"],
];

export class AlreadyRunningError extends Error {
  constructor(
    /** The holder's pid; undefined when it did not say in time. */
    readonly pid: number | undefined,
    readonly lockFile: string,
  ) {
    super(`statenet is already running (pid ${pid ?? "unknown"})`);
    this.name = "AlreadyRunningError";
  }
}

/** The lock could not be tried at all (no flock program, an unwritable tmpDir). */
export class InstanceLockError extends Error {
  constructor(
    readonly lockFile: string,
    reason: string,
  ) {
    super(`cannot take the instance lock ${lockFile}: ${reason}`);
    this.name = "InstanceLockError";
  }
}

export interface InstanceLock {
  readonly path: string;
  /** Releases the lock (closing our descriptor); the file stays, which is harmless. */
  release(): Promise<void>;
}

/**
 * Takes the lock on `tmpDir/statenet.lock` (making tmpDir if needed) or
 * throws AlreadyRunningError naming the holder's pid. Nothing else is touched.
 */
export async function takeInstanceLock(tmpDir: string): Promise<InstanceLock> {
  const path = join(tmpDir, LOCK_FILE_NAME);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    await mkdir(tmpDir, { recursive: true, mode: 0o755 });
    // 0600: whoever can open the file can flock it, and so keep statenet from starting.
    handle = await open(path, constants.O_RDWR | constants.O_CREAT, 0o600);
  } catch (error) {
    throw new InstanceLockError(path, (error as Error).message);
  }
  try {
    if (!(await flockNonBlocking(handle.fd, path))) {
      throw new AlreadyRunningError(await holderPid(path), path);
    }
    const text = `${process.pid}\n`;
    await handle.truncate(0);
    await handle.write(text, 0);
  } catch (error) {
    await handle.close();
    throw error;
  }
  let released: Promise<void> | undefined;
  return {
    path,
    release: () => {
      released ??= handle.close();
      return released;
    },
  };
}

/** Whether `flock -n -x` on our descriptor took the lock (false: someone holds it). */
async function flockNonBlocking(fd: number, path: string): Promise<boolean> {
  let missing = "";
  for (const [file, ...args] of FLOCK_PROGRAMS) {
    const outcome = await runFlock(file, [...args, "-n", "-x", "3"], fd);
    if (outcome === "missing") {
      missing += `${missing ? ", " : ""}${[file, ...args].join(" ")}`;
      continue;
    }
    if (outcome === "locked") return true;
    if (outcome === "held") return false;
    throw new InstanceLockError(path, outcome.failure);
  }
  throw new InstanceLockError(path, `no flock program (tried ${missing}); install util-linux`);
}

type FlockOutcome = "locked" | "held" | "missing" | { failure: string };

function runFlock(file: string, args: string[], fd: number): Promise<FlockOutcome> {
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      // The lock file's descriptor becomes the helper's fd 3.
      stdio: ["ignore", "ignore", "pipe", fd],
      env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("error", (error: NodeJS.ErrnoException) =>
      resolve(error.code === "ENOENT" ? "missing" : { failure: error.message }),
    );
    child.once("close", (code) => {
      const said = stderr.trim();
      // Both report a conflict with -n as exit 1 and say nothing; their errors say why.
      if (code === 0) resolve("locked");
      else if (code === 1 && said === "") resolve("held");
      // busybox without the applet: "flock: applet not found".
      else if (/applet not found/.test(said)) resolve("missing");
      else resolve({ failure: said || `${file} exited with ${code}` });
    });
  });
}

/**
 * The pid written in the lock file, once it is that of a process holding the
 * file open: just after locking, the file may still hold a previous holder's.
 */
async function holderPid(path: string): Promise<number | undefined> {
  const deadline = Date.now() + HOLDER_PID_WAIT_MS;
  // /proc shows the path with symbolic links resolved (/var/run is often /run).
  const real = await realpath(path).catch(() => path);
  do {
    const pid = Number.parseInt(await readFile(path, "utf8").catch(() => ""), 10);
    if (Number.isInteger(pid) && pid > 0 && (await holdsOpen(pid, real))) return pid;
    await sleep(10);
  } while (Date.now() < deadline);
  return undefined;
}

async function holdsOpen(pid: number, path: string): Promise<boolean> {
  const dir = `/proc/${pid}/fd`;
  const fds = await readdir(dir).catch(() => []);
  for (const fd of fds) {
    if ((await readlink(join(dir, fd)).catch(() => "")) === path) return true;
  }
  return false;
}
