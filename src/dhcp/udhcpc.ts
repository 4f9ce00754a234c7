import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { isDnsName } from "../config/dns-name.js";
import type { CommandRunner } from "../linux/command-runner.js";
import { assertInterfaceName } from "../linux/interface-name.js";
import { assertMayChangeNetwork } from "../linux/network-namespace.js";
import type { Logger } from "../log.js";
import { SOCKET_ENV, TOKEN_ENV } from "./handler-script.js";
import { type DhcpEvent, DhcpReportError, parseDhcpReport } from "./lease-event.js";
import type { ReportServer } from "./report-server.js";

/**
 * Keeps one busybox udhcpc running for an interface: starts it, turns its
 * handler reports into DhcpEvents, restarts it with backoff when it dies and
 * stops it by pid. The lease itself is applied by `onEvent`; udhcpc waits for
 * that (the handler waits for the report's reply) before it goes on.
 */

export interface UdhcpcOptions {
  ifname: string;
  /** Sent as DHCP option 12, so the server (and its DNS) can name the device. */
  hostname?: string;
  runner: CommandRunner;
  server: ReportServer;
  /** The wrapper written by installHandler. */
  handlerPath: string;
  logger: Logger;
  /** Called once per event, one at a time, in order; udhcpc waits until it settles. */
  onEvent: (event: DhcpEvent) => Promise<void>;
  /** First delay before a restart; doubles per quick failure up to 30 s. Default 1000. */
  restartDelayMs?: number;
  /** A udhcpc binary; by default `busybox udhcpc`, which works where only busybox is installed. */
  udhcpcPath?: string;
}

export interface Udhcpc {
  /** Stops udhcpc (SIGTERM, SIGKILL after 2 s); resolves once it exited and no event is pending. */
  stop(): Promise<void>;
  /** Asks for a renewal now (SIGUSR1). */
  renew(): void;
  /** Gives the lease back (SIGUSR2); udhcpc reports deconfig and waits for renew(). */
  release(): void;
  /** The running udhcpc's pid; undefined between a death and its restart, and after stop. */
  readonly pid: number | undefined;
  /** How many times udhcpc was started again after it died. */
  readonly restarts: number;
}

export class UdhcpcOptionError extends TypeError {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`udhcpc ${field}: ${reason}`);
    this.name = "UdhcpcOptionError";
  }
}

const DEFAULT_RESTART_DELAY_MS = 1_000;
const MAX_RESTART_DELAY_MS = 30_000;
/** A run this long was healthy: the next failure starts the backoff over. */
const HEALTHY_RUN_MS = 30_000;
const KILL_AFTER_MS = 2_000;

export interface UdhcpcArgumentOptions {
  ifname: string;
  handlerPath: string;
  hostname?: string | undefined;
}

/** udhcpc's command line; every flag has its reason. */
export function udhcpcArguments(options: UdhcpcArgumentOptions): string[] {
  assertInterfaceName(options.ifname);
  const args = [
    // Foreground: udhcpc stays our child, so we see it die and signal it by pid.
    "-f",
    "-i",
    options.ifname,
    // Every event goes to the handler, which reports it to the manager.
    "-s",
    options.handlerPath,
    // 5 discovers per attempt, 1 s apart (default 3 s): a lease soon after the cable comes in.
    "-t",
    "5",
    "-T",
    "1",
    // After a failed attempt, retry in 3 s rather than 20 s; without -n it retries forever.
    "-A",
    "3",
    // Ask for the search list, NTP servers and MTU along with the usual options.
    "-O",
    "search",
    "-O",
    "ntpsrv",
    "-O",
    "mtu",
  ];
  // No -R: a stopped udhcpc keeps its lease, so a restart asks for the same address.
  if (options.hostname !== undefined) {
    assertHostname(options.hostname);
    args.push("-x", `hostname:${options.hostname}`);
  }
  return args;
}

function assertHostname(hostname: string): void {
  if (!isDnsName(hostname))
    throw new UdhcpcOptionError("hostname", `${JSON.stringify(hostname)} is not a DNS name`);
}

interface Run {
  token: string;
  child: ReturnType<CommandRunner["spawn"]>;
  startedAt: number;
  unregister: () => void;
  exited: Promise<void>;
}

export function startUdhcpc(options: UdhcpcOptions): Udhcpc {
  const args = udhcpcArguments(options);
  // udhcpc sends on the interface: tests must keep it inside a namespace.
  assertMayChangeNetwork(options.runner.netns, `udhcpc -i ${options.ifname}`);
  return new UdhcpcSupervisor(options, args);
}

class UdhcpcSupervisor implements Udhcpc {
  readonly #options: UdhcpcOptions;
  readonly #args: string[];
  readonly #log: Logger;
  readonly #baseDelayMs: number;
  #nextDelayMs: number;
  #run: Run | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #restarts = 0;
  #stopping: Promise<void> | undefined;
  /** Events reach onEvent one at a time and in order, the supervisor's own deconfig included. */
  #events: Promise<void> = Promise.resolve();

  constructor(options: UdhcpcOptions, args: string[]) {
    this.#options = options;
    this.#args = args;
    this.#log = options.logger.child({ component: "udhcpc", ifname: options.ifname });
    this.#baseDelayMs = options.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS;
    this.#nextDelayMs = this.#baseDelayMs;
    this.#spawn();
  }

  get pid(): number | undefined {
    return this.#run?.child.pid;
  }

  get restarts(): number {
    return this.#restarts;
  }

  renew(): void {
    this.#signal("SIGUSR1");
  }

  release(): void {
    this.#signal("SIGUSR2");
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    clearTimeout(this.#restartTimer);
    const run = this.#run;
    if (run) {
      this.#signal("SIGTERM");
      const killer = setTimeout(() => this.#signal("SIGKILL"), KILL_AFTER_MS);
      await run.exited;
      clearTimeout(killer);
    }
    await this.#events;
    this.#log.debug("udhcpc stopped");
  }

  #signal(signal: NodeJS.Signals): void {
    const pid = this.pid;
    if (pid === undefined) return;
    try {
      process.kill(pid, signal);
    } catch (error) {
      // ESRCH: it died just now; its exit handler takes over.
      this.#log.debug({ err: error, signal }, "could not signal udhcpc");
    }
  }

  #spawn(): void {
    const { runner, server, udhcpcPath } = this.#options;
    // A new token per process: reports of an instance already killed are refused.
    const token = randomBytes(16).toString("hex");
    const unregister = server.register(token, (report) => this.#onReport(token, report));
    const [file, args] = udhcpcPath
      ? [udhcpcPath, this.#args]
      : ["busybox", ["udhcpc", ...this.#args]];
    const child = runner.spawn(file, args, {
      env: {
        PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
        [SOCKET_ENV]: server.path,
        [TOKEN_ENV]: token,
      },
    });
    const run: Run = { token, child, startedAt: Date.now(), unregister, exited: Promise.resolve() };
    run.exited = this.#watch(run);
    this.#run = run;
    this.#logLines(child.stderr);
    this.#logLines(child.stdout);
    this.#log.debug({ pid: child.pid }, "udhcpc started");
  }

  /**
   * Resolves when the process is gone. Uses the "exit" event rather than
   * execa's promise: a handler still running holds udhcpc's pipes open for
   * up to 5 s after udhcpc itself died.
   */
  async #watch(run: Run): Promise<void> {
    const { code, signal } = await new Promise<{ code: number | null; signal: string | null }>(
      (resolve) => {
        run.child.once("exit", (code, signal) => resolve({ code, signal }));
        // A spawn failure emits "error" and no "exit"; execa's result settles in both cases.
        run.child.then(
          (result) => resolve({ code: result.exitCode ?? null, signal: result.signal ?? null }),
          () => resolve({ code: null, signal: null }),
        );
      },
    );
    run.unregister();
    if (this.#run === run) this.#run = undefined;
    if (this.#stopping) return;
    this.#log.warn({ code, signal, ranMs: Date.now() - run.startedAt }, "udhcpc exited");
    this.#scheduleRestart(Date.now() - run.startedAt);
  }

  #scheduleRestart(ranMs: number): void {
    if (ranMs > HEALTHY_RUN_MS) this.#nextDelayMs = this.#baseDelayMs;
    const delay = this.#nextDelayMs;
    this.#nextDelayMs = Math.min(delay * 2, Math.max(MAX_RESTART_DELAY_MS, this.#baseDelayMs));
    // Nothing maintains the address any more: whoever applied it must drop it.
    void this.#emit({ kind: "deconfig", ifname: this.#options.ifname });
    this.#restartTimer = setTimeout(() => {
      if (this.#stopping) return;
      this.#restarts += 1;
      this.#spawn();
    }, delay);
  }

  async #onReport(token: string, report: Record<string, string>): Promise<void> {
    if (this.#stopping) return;
    let event: DhcpEvent;
    try {
      event = parseDhcpReport(report);
    } catch (error) {
      if (!(error instanceof DhcpReportError)) throw error;
      this.#log.warn({ err: error, field: error.field }, "ignored a bad DHCP report");
      return;
    }
    if (event.ifname !== this.#options.ifname) {
      this.#log.warn({ reported: event.ifname }, "ignored a DHCP report for another interface");
      return;
    }
    // A report of a process we already gave up on must not follow its deconfig.
    if (this.#run?.token !== token) return;
    await this.#emit(event);
  }

  #emit(event: DhcpEvent): Promise<void> {
    const delivered = this.#events.then(async () => {
      try {
        await this.#options.onEvent(event);
      } catch (error) {
        this.#log.error({ err: error, event: event.kind }, "applying a DHCP event failed");
      }
    });
    this.#events = delivered;
    return delivered;
  }

  #logLines(stream: Readable | null): void {
    if (!stream) return;
    const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    lines.on("line", (line) => this.#log.debug({ output: line }, "udhcpc"));
  }
}
