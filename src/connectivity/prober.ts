import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { ProbeResult } from "../../machines/connectivity-checker.js";
import { terminate } from "../linux/terminate.js";
import type { Logger } from "../log.js";
import { assertLabProbeRequest, labOnly, PublicProbeRefusedError } from "./lab-address-guard.js";
import { type ProbeRequest, probeTcp } from "./tcp-probe.js";

/**
 * Runs TCP probes where the interfaces are. A socket belongs to the network
 * namespace of the process that opens it, so when the manager drives a
 * named namespace from outside (`createNetworkManager({ netns })`), the
 * probes run in a long-lived helper process started inside it with
 * `ip netns exec`. It speaks JSON lines: `{id, request}` or `{id, cancel}` in,
 * `{id, result}` or `{id, error}` out.
 */

export interface Prober {
  probe(request: ProbeRequest, signal?: AbortSignal): Promise<ProbeResult>;
  /** Stops the helper (by its pid) and waits for it; later probes fail. */
  close(): Promise<void>;
}

export interface ProberOptions {
  netns?: string | undefined;
  logger: Logger;
}

/** On top of a probe's own timeout: the helper's start-up (tsx compiles on the fly) and the pipe. */
const ANSWER_MARGIN_MS = 5_000;
const STDERR_KEPT = 2_048;

export type HelperMessage = { id: number; request: ProbeRequest } | { id: number; cancel: true };

export type HelperReply = { id: number; result: ProbeResult } | { id: number; error: string };

export function createProber(options: ProberOptions): Prober {
  const { netns, logger } = options;
  const prober: Prober =
    netns === undefined
      ? { probe: (request, signal) => probeTcp(request, signal), close: async () => {} }
      : new NamespaceProber(netns, logger);
  return refusingPublicAddresses(prober, logger);
}

/**
 * Under STATENET_REQUIRE_NETNS=1 (tests, demos, benchmarks), a probe toward
 * an address outside the lab ranges fails with PublicProbeRefusedError here,
 * before it reaches a helper, and is logged as an error: a forgotten
 * `internetHosts` must fail loudly, not probe the Internet from a lab.
 */
function refusingPublicAddresses(prober: Prober, logger: Logger): Prober {
  const refused = (error: unknown) => {
    if (error instanceof PublicProbeRefusedError) {
      logger.error({ target: error.target }, error.message);
    }
    return Promise.reject(error);
  };
  return {
    probe: (request, signal) => {
      try {
        assertLabProbeRequest(request);
      } catch (error) {
        return refused(error);
      }
      return prober.probe(request, signal).catch(refused);
    },
    close: () => prober.close(),
  };
}

/**
 * How to start the helper: the compiled `.js` next to this file, or, when
 * running from TypeScript sources (tests, tsx), the `.ts` file through tsx.
 */
function helperCommand(): { args: string[]; cwd: string | undefined } {
  if (!import.meta.url.endsWith(".ts")) {
    return { args: [fileURLToPath(new URL("./probe-helper.js", import.meta.url))], cwd: undefined };
  }
  // `--import tsx` resolves from the working directory: the package root, where tsx is installed.
  return {
    args: ["--import", "tsx", fileURLToPath(new URL("./probe-helper.ts", import.meta.url))],
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
  };
}

interface Pending {
  settle(result: ProbeResult): void;
}

interface Helper {
  child: ChildProcess;
  exited: Promise<void>;
  /** The tail of its stderr, for the failure it causes. */
  stderr: string;
  /** Set when we stop it, so its exit reports our reason rather than the signal. */
  stoppedBecause?: string;
}

class NamespaceProber implements Prober {
  readonly #netns: string;
  readonly #logger: Logger;
  readonly #pending = new Map<number, Pending>();
  #helper: Helper | undefined;
  #nextId = 1;
  #closed = false;

  constructor(netns: string, logger: Logger) {
    this.#netns = netns;
    this.#logger = logger;
  }

  probe(request: ProbeRequest, signal?: AbortSignal): Promise<ProbeResult> {
    signal?.throwIfAborted();
    if (this.#closed) return Promise.resolve({ ok: false, detail: "prober closed" });
    const helper = this.#helper ?? this.#start();
    const id = this.#nextId++;
    return new Promise<ProbeResult>((resolve, reject) => {
      const watchdog = setTimeout(() => {
        // A helper that stops answering is as good as dead: replace it.
        void this.#kill(helper, `did not answer within ${request.timeoutMs + ANSWER_MARGIN_MS} ms`);
      }, request.timeoutMs + ANSWER_MARGIN_MS);
      const onAbort = () => {
        this.#send(helper, { id, cancel: true });
        done();
        reject(signal?.reason);
      };
      const done = () => {
        clearTimeout(watchdog);
        signal?.removeEventListener("abort", onAbort);
        this.#pending.delete(id);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#pending.set(id, {
        settle: (result) => {
          done();
          resolve(result);
        },
      });
      this.#send(helper, { id, request });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const helper = this.#helper;
    if (helper) await this.#kill(helper, "prober closed");
  }

  #start(): Helper {
    const { args, cwd } = helperCommand();
    const child = spawn("ip", ["netns", "exec", this.#netns, process.execPath, ...args], {
      cwd,
      // Nothing of the manager's environment (NODE_OPTIONS, test runner flags) leaks in,
      // but the lab-only guard: names the helper resolves are checked there.
      env: {
        PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
        ...(labOnly() ? { STATENET_REQUIRE_NETNS: "1" } : {}),
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
    const helper: Helper = { child, exited, stderr: "" };
    this.#helper = helper;
    child.stderr?.on("data", (chunk: Buffer) => {
      helper.stderr = (helper.stderr + chunk.toString()).slice(-STDERR_KEPT);
    });
    // Writes to a helper that just died fail with EPIPE; its exit reports that.
    child.stdin?.on("error", () => {});
    child.once("error", (error) => this.#onExit(helper, `could not start: ${error.message}`));
    child.once("close", (code, signal) =>
      this.#onExit(helper, helper.stoppedBecause ?? `exited (${signal ?? `code ${code}`})`),
    );
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) =>
      this.#onLine(line),
    );
    this.#logger.debug({ netns: this.#netns, pid: child.pid }, "probe helper started");
    return helper;
  }

  #send(helper: Helper, message: HelperMessage): void {
    if (helper.child.stdin?.writable) helper.child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  #onLine(line: string): void {
    let reply: HelperReply;
    try {
      reply = JSON.parse(line) as HelperReply;
    } catch {
      this.#logger.warn({ line }, "probe helper wrote a line that is not JSON");
      return;
    }
    const pending = this.#pending.get(reply.id);
    if (!pending) return; // Cancelled or already failed.
    if ("error" in reply) {
      // probeTcp rejects only for a refused lab-only address (or a bug): say so loudly.
      this.#logger.error({ netns: this.#netns }, `probe helper: ${reply.error}`);
    }
    pending.settle(
      "result" in reply ? reply.result : { ok: false, detail: `probe error: ${reply.error}` },
    );
  }

  /** Fails every request still waiting on this helper; the next probe starts a new one. */
  #onExit(helper: Helper, how: string): void {
    if (this.#helper !== helper) return;
    this.#helper = undefined;
    const stderr = helper.stderr.trim();
    const detail = `probe helper in ${this.#netns} ${how}${stderr ? `: ${stderr}` : ""}`;
    if (!this.#closed) this.#logger.warn({ pid: helper.child.pid }, detail);
    for (const pending of [...this.#pending.values()]) pending.settle({ ok: false, detail });
  }

  /** SIGTERM by pid, SIGKILL if it lingers; resolves once it has exited. */
  async #kill(helper: Helper, why: string): Promise<void> {
    const { pid } = helper.child;
    if (helper.child.exitCode === null && helper.child.signalCode === null && pid !== undefined) {
      helper.stoppedBecause = why;
      await terminate(pid, helper.exited);
    }
    this.#onExit(helper, why);
  }
}
