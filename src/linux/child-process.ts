import { type ChildProcess, spawn } from "node:child_process";
import { processExit, terminate } from "./terminate.js";

/**
 * Programs run on node's own child_process rather than execa: execa's module
 * graph (about 120 files) took 85 ms of `import("statenet")` and memory in
 * every daemon (issue 17), for the few things statenet needs: run to the end
 * with output, input, a timeout and cancellation; start a daemon with pipes.
 */

export interface RunToEndOptions {
  /** The whole environment of the program. */
  env: NodeJS.ProcessEnv;
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Standard input; without it the program's stdin is /dev/null. */
  input?: string | undefined;
}

export interface RunOutcome {
  /** null when it did not exit by itself: killed by a signal, or never started. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Without the final newline, as a shell's `$(…)` gives it. */
  stdout: string;
  stderr: string;
  /** Stopped because it ran out of `timeoutMs`. */
  timedOut: boolean;
  /** Stopped because `signal` aborted. */
  cancelled: boolean;
  /** Why it could not start (ENOENT: no such program). */
  startError?: NodeJS.ErrnoException;
}

/** The manager's environment in the C locale: programs' output then parses the same everywhere. */
export const inCLocale = (): NodeJS.ProcessEnv => ({ ...process.env, LC_ALL: "C" });

const withoutFinalNewline = (text: string) => text.replace(/\r?\n$/, "");

/** Runs a program to its end; never rejects: the outcome says how it went. */
export function runToEnd(
  file: string,
  args: readonly string[],
  options: RunToEndOptions,
): Promise<RunOutcome> {
  const outcome: RunOutcome = {
    exitCode: null,
    signal: null,
    stdout: "",
    stderr: "",
    timedOut: false,
    cancelled: false,
  };
  if (options.signal?.aborted) return Promise.resolve({ ...outcome, cancelled: true });
  return new Promise((resolve) => {
    const child = spawn(file, [...args], {
      env: options.env,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
    let startError: NodeJS.ErrnoException | undefined;
    child.once("error", (error) => {
      startError = error;
    });
    // SIGTERM, then SIGKILL if it lingers: as a supervised daemon is stopped.
    const exited = processExit(child);
    let stopping = false;
    const stop = () => {
      if (stopping || child.pid === undefined) return;
      stopping = true;
      void terminate(child.pid, exited);
    };
    const result = { ...outcome };
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            result.timedOut = true;
            stop();
          }, options.timeoutMs);
    const onAbort = () => {
      result.cancelled = true;
      stop();
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      resolve({
        ...result,
        // A program that never started "closes" with the errno as its code.
        exitCode: startError ? null : code,
        signal,
        stdout: withoutFinalNewline(Buffer.concat(stdout).toString()),
        stderr: withoutFinalNewline(Buffer.concat(stderr).toString()),
        ...(startError ? { startError } : {}),
      });
    });
    if (child.stdin) {
      // A program that exits without reading its input must not fail the run with EPIPE.
      child.stdin.on("error", () => undefined);
      child.stdin.end(options.input);
    }
  });
}

/** A one-line reason for a run that did not exit 0. */
export function failureOf(outcome: RunOutcome, timeoutMs?: number): string {
  if (outcome.timedOut) return `timed out after ${timeoutMs} ms`;
  if (outcome.cancelled) return "cancelled";
  if (outcome.startError) return outcome.startError.message;
  return (
    outcome.stderr.trim() ||
    (outcome.exitCode !== null ? `exited with ${outcome.exitCode}` : `killed by ${outcome.signal}`)
  );
}

export interface StartOptions {
  env: NodeJS.ProcessEnv;
  /** A session of its own (see CommandRunner.spawn). */
  detached?: boolean;
}

/** Starts a long-running program with stdout and stderr as pipes and stdin on /dev/null. */
export function startProgram(
  file: string,
  args: readonly string[],
  options: StartOptions,
): ChildProcess {
  return spawn(file, [...args], {
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached ?? false,
  });
}
