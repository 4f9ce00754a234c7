import type { ChildProcess } from "node:child_process";

/** How a child process ended; both null when it never started. */
export interface ProcessExit {
  code: number | null;
  signal: string | null;
}

/**
 * Resolves when the child is gone: on its "exit" event rather than "close",
 * as a process it started (udhcpc's handler) may hold its pipes open for
 * seconds after it died. A child that never started emits "error" instead.
 * One that is gone already resolves at once.
 */
export function processExit(child: ChildProcess): Promise<ProcessExit> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", () => resolve({ code: null, signal: null }));
  });
}

/** Signals a pid; one that is gone already is no error. */
export function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: it died just now.
  }
}

const KILL_AFTER_MS = 2_000;

/** SIGTERM, then SIGKILL if `exited` has not settled within 2 s; resolves once it has. */
export async function terminate(pid: number, exited: Promise<unknown>): Promise<void> {
  signalPid(pid, "SIGTERM");
  const killer = setTimeout(() => signalPid(pid, "SIGKILL"), KILL_AFTER_MS);
  try {
    await exited;
  } finally {
    clearTimeout(killer);
  }
}
