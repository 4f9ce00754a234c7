import type { ChildProcess } from "node:child_process";
import { failureOf, runToEnd, startProgram } from "./child-process.js";
import { assertMayChangeNetwork } from "./network-namespace.js";

/**
 * Runs programs in the manager's network namespace: its own, or a named one
 * (`ip netns exec NS`), which is how tests and labs drive a device namespace
 * from outside. `ip netns exec` replaces itself with the program, so the pid
 * of the spawned child is the program's own and signals reach it directly.
 */

export interface CommandRunnerOptions {
  netns?: string | undefined;
  ipPath?: string;
}

export interface RunOptions {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  /** Standard input for the program. */
  input?: string | undefined;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly file: string,
    readonly args: readonly string[],
    readonly detail: string,
    /** It ran out of its `timeoutMs` (rather than failing or being cancelled). */
    readonly timedOut = false,
  ) {
    super(`${[file, ...args].join(" ")}: ${detail}`);
    this.name = "CommandError";
  }
}

export interface SpawnOptions {
  /** The whole environment of the program: nothing of the manager's leaks into it. */
  env: Record<string, string>;
}

export interface CommandRunner {
  readonly netns: string | undefined;
  /** Runs a program to completion; rejects with CommandError on a non-zero exit, a timeout or an abort. */
  run(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Starts a long-running program (a daemon) with a clean environment. */
  spawn(file: string, args: readonly string[], options: SpawnOptions): ChildProcess;
  /** Writes a kernel setting under /proc/sys, e.g. `net/ipv4/conf/eth0/ignore_routes_with_linkdown`. */
  sysctl(path: string, value: string, options?: RunOptions): Promise<void>;
}

const SYSCTL_PATH = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/;

export function createCommandRunner(options: CommandRunnerOptions = {}): CommandRunner {
  const ip = options.ipPath ?? "ip";
  const { netns } = options;
  const command = (file: string, args: readonly string[]): [string, string[]] =>
    netns ? [ip, ["netns", "exec", netns, file, ...args]] : [file, [...args]];

  const run = async (
    file: string,
    args: readonly string[],
    runOptions: RunOptions = {},
  ): Promise<RunResult> => {
    const [program, programArgs] = command(file, args);
    const outcome = await runToEnd(program, programArgs, {
      timeoutMs: runOptions.timeoutMs,
      signal: runOptions.signal,
      input: runOptions.input,
      env: { LC_ALL: "C", PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
    });
    if (outcome.exitCode !== 0) {
      throw new CommandError(
        file,
        args,
        failureOf(outcome, runOptions.timeoutMs),
        outcome.timedOut,
      );
    }
    return { stdout: outcome.stdout, stderr: outcome.stderr };
  };

  return {
    netns,
    run,
    spawn(file, args, spawnOptions) {
      const [program, programArgs] = command(file, args);
      // A session of its own: a terminal's Ctrl-C or hangup, or `kill -PGID`, meant
      // for the manager's job does not end the daemons (udhcpc has no handler for
      // SIGHUP and would die of it, taking the lease with it); the manager stops them.
      return startProgram(program, programArgs, { env: spawnOptions.env, detached: true });
    },
    async sysctl(path, value, runOptions) {
      if (!SYSCTL_PATH.test(path) || path.includes("..")) {
        throw new CommandError("sysctl", [path], "not a /proc/sys path");
      }
      assertMayChangeNetwork(netns, `sysctl ${path}=${value}`);
      // Through a program in the namespace: /proc/sys/net is that of the writing process.
      await run(
        "sh",
        ["-c", 'printf "%s\\n" "$1" > "/proc/sys/$2"', "sh", value, path],
        runOptions,
      );
    },
  };
}
