import { failureOf, inCLocale, runToEnd } from "./child-process.js";
import { KernelDumpError } from "./link-state.js";
import { assertMayChangeNetwork } from "./network-namespace.js";

export interface IpRunnerOptions {
  /** Run every command in this named network namespace (`ip -n NS`). */
  netns?: string | undefined;
  /** Path of the `ip` binary. */
  ipPath?: string;
  /** Kill an `ip` that takes longer than this. */
  timeoutMs?: number;
}

export interface BatchFailure {
  /** 1-based line of the batch. */
  line: number;
  command: string;
  message: string;
}

export class IpBatchError extends Error {
  constructor(readonly failures: readonly BatchFailure[]) {
    const first = failures[0];
    super(
      first
        ? `ip -batch: ${failures.length} command(s) failed; line ${first.line} "${first.command}": ${first.message}`
        : "ip -batch failed",
    );
    this.name = "IpBatchError";
  }
}

export class IpCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
  ) {
    super(`ip ${args.join(" ")}: ${stderr.trim() || "failed"}`);
    this.name = "IpCommandError";
  }
}

/**
 * Reads `ip -force -batch` stderr: each failing line prints its error message(s)
 * followed by `Command failed -:N`.
 */
export function parseBatchErrors(stderr: string, lines: readonly string[]): BatchFailure[] {
  const failures: BatchFailure[] = [];
  let messages: string[] = [];
  for (const text of stderr.split("\n")) {
    // No batch has a billion lines: a longer number is not ip's, and would not be a safe integer.
    const failed = /^Command failed -:(\d{1,9})$/.exec(text.trim());
    if (!failed) {
      if (text.trim()) messages.push(text.trim());
      continue;
    }
    const line = Number(failed[1]);
    failures.push({ line, command: lines[line - 1] ?? "", message: messages.join("; ") });
    messages = [];
  }
  return failures;
}

/**
 * What an `ip -j` command printed: nothing is an empty list; anything but
 * JSON (BusyBox's `ip` prints its usage text) is a KernelDumpError naming the command.
 */
export function parseIpJson(args: readonly string[], stdout: string): unknown {
  const text = stdout.trim();
  if (text === "") return [];
  try {
    return JSON.parse(text);
  } catch {
    const start = JSON.stringify(text.slice(0, 60));
    throw new KernelDumpError(`ip ${args.join(" ")}`, `output is not JSON: ${start}`);
  }
}

export interface IpRunner {
  readonly netns: string | undefined;
  /** Runs a read-only `ip -j` command and parses its output. */
  json<T>(args: readonly string[], signal?: AbortSignal): Promise<T>;
  /** Runs the lines in one `ip -force -batch -`; throws IpBatchError naming every failed line. */
  batch(lines: readonly string[], signal?: AbortSignal): Promise<void>;
}

export function createIpRunner(options: IpRunnerOptions = {}): IpRunner {
  const ip = options.ipPath ?? "ip";
  const namespaceArgs = options.netns ? ["-n", options.netns] : [];
  const timeout = options.timeoutMs ?? 10_000;
  return {
    netns: options.netns,
    async json<T>(args: readonly string[], signal?: AbortSignal): Promise<T> {
      const full = [...namespaceArgs, "-j", ...args];
      const result = await runToEnd(ip, full, { timeoutMs: timeout, signal, env: inCLocale() });
      if (result.exitCode !== 0) throw new IpCommandError(full, failureOf(result, timeout));
      return parseIpJson(full, result.stdout) as T;
    },
    async batch(lines: readonly string[], signal?: AbortSignal): Promise<void> {
      if (lines.length === 0) return;
      assertMayChangeNetwork(options.netns, lines[0] as string);
      const result = await runToEnd(ip, [...namespaceArgs, "-force", "-batch", "-"], {
        input: `${lines.join("\n")}\n`,
        timeoutMs: timeout,
        signal,
        env: inCLocale(),
      });
      if (result.exitCode === 0) return;
      const failures = parseBatchErrors(result.stderr, lines);
      throw new IpBatchError(
        failures.length > 0
          ? failures
          : [
              {
                line: 0,
                command: "",
                message: failureOf(result, timeout),
              },
            ],
      );
    },
  };
}
