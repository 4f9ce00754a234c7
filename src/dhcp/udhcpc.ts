import { randomBytes } from "node:crypto";
import type { CommandRunner } from "../linux/command-runner.js";
import { assertInterfaceName } from "../linux/interface-name.js";
import { assertMayChangeNetwork } from "../linux/network-namespace.js";
import { type ProcessStart, SupervisedProcess } from "../linux/supervised-process.js";
import type { Logger } from "../log.js";
import { SOCKET_ENV, TOKEN_ENV } from "./handler-script.js";
import { type DhcpEvent, DhcpReportError, parseDhcpReport } from "./lease-event.js";
import type { ReportServer } from "./report-server.js";
import {
  type DhcpRequestOption,
  dhcpOptionCode,
  isDhcpHostname,
  udhcpcVariableOf,
} from "./udhcpc-options.js";

/**
 * Keeps one busybox udhcpc running for an interface (a SupervisedProcess)
 * and turns its handler reports into DhcpEvents. The lease itself is applied
 * by `onEvent`; udhcpc waits for that (the handler waits for the report's
 * reply) before it goes on.
 */

/** udhcpc's lease without a lease time option: one hour. */
const UDHCPC_DEFAULT_LEASE_SECONDS = 3_600;
/** udhcpc counts a shorter lease as this long (renewing at half of it). */
const UDHCPC_MIN_LEASE_SECONDS = 30;

/**
 * How long a lease's address should live in the kernel: as long as udhcpc
 * itself holds the lease. A shorter lifetime would have the kernel take the
 * address away while udhcpc still counts on it (and its unicast renew, bound
 * to that address, would then fail).
 */
export function udhcpcAddressLifetime(leaseSeconds: number | undefined): number {
  return Math.max(leaseSeconds ?? UDHCPC_DEFAULT_LEASE_SECONDS, UDHCPC_MIN_LEASE_SECONDS);
}

export interface UdhcpcOptions {
  ifname: string;
  /** Sent as DHCP option 12, so the server (and its DNS) can name the device. */
  hostname?: string;
  /** Options to ask for beyond the usual ones; what the server sends of them comes as `requested`. */
  requestOptions?: readonly DhcpRequestOption[] | undefined;
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
  /** A record of the running udhcpc's pid (see SupervisedProcess). */
  pidFile?: string | undefined;
}

export interface Udhcpc {
  /** Stops udhcpc (SIGTERM, SIGKILL after 2 s); resolves once it exited and no event is pending. */
  stop(): Promise<void>;
  /**
   * Asks for a lease now. A bound udhcpc renews it (SIGUSR1; asked again
   * within RENEW_PATIENCE_MS, see there, the second request is dropped). One
   * that is sending discovers is left to it: its next try is at most a second
   * away. One that is idle without a lease (waiting out its retry delay after
   * a failed round, or released) is started over, so it sends a discover at
   * once: it may have lost a SIGUSR1, which udhcpc drops while its script
   * runs, and it has no exchange under way that a restart could cut short.
   */
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

export interface UdhcpcArgumentOptions {
  ifname: string;
  handlerPath: string;
  hostname?: string | undefined;
  requestOptions?: readonly DhcpRequestOption[] | undefined;
}

/**
 * Asked for on top of what udhcpc asks for itself (subnet, router, dns,
 * hostname, domain, broadcast and, in 1.35, ntpsrv): the search list and the
 * MTU, and the NTP servers whatever the build.
 */
const ALWAYS_REQUESTED: readonly DhcpRequestOption[] = ["search", "ntpsrv", "mtu"];

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
    // Every option once, by number: udhcpc takes both, and a number never depends on its build.
    ...requestedCodes(options.requestOptions ?? []).flatMap((code) => ["-O", String(code)]),
  ];
  // No -R: a stopped udhcpc keeps its lease, so a restart asks for the same address.
  if (options.hostname !== undefined) {
    assertHostname(options.hostname);
    args.push("-x", `hostname:${options.hostname}`);
  }
  return args;
}

/** The codes of the options to ask for, the usual ones first, each once; throws on one udhcpc would exit on. */
function requestedCodes(requestOptions: readonly DhcpRequestOption[]): number[] {
  const codes = [...ALWAYS_REQUESTED, ...requestOptions].map((option) => {
    const code = dhcpOptionCode(option);
    if (code === undefined) {
      throw new UdhcpcOptionError(
        "requestOptions",
        `${JSON.stringify(option)} is neither an option name udhcpc knows nor a number 1..254`,
      );
    }
    return code;
  });
  return [...new Set(codes)];
}

/** The script variables of the options asked for with `requestOptions`. */
export function requestedVariables(requestOptions: readonly DhcpRequestOption[]): string[] {
  return requestedCodes(requestOptions).map(udhcpcVariableOf);
}

function assertHostname(hostname: string): void {
  if (!isDhcpHostname(hostname)) {
    throw new UdhcpcOptionError(
      "hostname",
      `${JSON.stringify(hostname)} is not a host name DHCP clients send`,
    );
  }
}

export function startUdhcpc(options: UdhcpcOptions): Udhcpc {
  const args = udhcpcArguments(options);
  // udhcpc sends on the interface: tests must keep it inside a namespace.
  assertMayChangeNetwork(options.runner.netns, `udhcpc -i ${options.ifname}`);
  return new UdhcpcSupervisor(options, args);
}

/**
 * A second SIGUSR1 soon after the first makes udhcpc give up the renewal it
 * has just begun: it reports deconfig (the address goes) and starts over
 * with a discover (busybox 1.35, measured: deconfig 55 ms after the second
 * signal, bound again 130 ms later). Two requests within this long of each
 * other (a WiFi association and a port opening) are one renewal; one still
 * unanswered after it (a new network that ignores the unicast renew) may
 * start over. udhcpc renews unicast, then by broadcast a second later.
 */
export const RENEW_PATIENCE_MS = 5_000;

class UdhcpcSupervisor implements Udhcpc {
  readonly #options: UdhcpcOptions;
  readonly #log: Logger;
  readonly #process: SupervisedProcess;
  /** The running udhcpc's token: reports of an instance already gone are refused. */
  #token: string | undefined;
  /** When renew() last signalled the running udhcpc, until it reports an event. */
  #renewSignalledAt: number | undefined;
  /**
   * What the running udhcpc is up to, from its events and its output:
   * holding a lease, talking to servers (a discover or select sent since its
   * last event), or idle without a lease.
   */
  #activity: "bound" | "asking" | "idle" = "idle";
  /**
   * When the lease the interface holds ends (performance.now() ms), while
   * nothing (a NAK, a release, udhcpc's exit) took it back before then.
   */
  #leaseEndsAt: number | undefined;
  /** The lease's end, for a deconfig put off until then (see #holdsLease). */
  #leaseEnd: NodeJS.Timeout | undefined;
  /** Events reach onEvent one at a time and in order, the supervisor's own deconfig included. */
  #events: Promise<void> = Promise.resolve();
  /** Script variables of the options asked for, passed on as the lease's `requested`. */
  readonly #requested: readonly string[];

  constructor(options: UdhcpcOptions, args: string[]) {
    this.#options = options;
    this.#requested = requestedVariables(options.requestOptions ?? []);
    this.#log = options.logger.child({ component: "udhcpc", ifname: options.ifname });
    this.#process = new SupervisedProcess({
      name: "udhcpc",
      runner: options.runner,
      logger: this.#log,
      restartDelayMs: options.restartDelayMs,
      pidFile: options.pidFile,
      start: () => this.#start(args),
      onLine: (line) => this.#onOutput(line),
      // Nothing maintains the address any more: whoever applied it must drop it.
      onExit: () => {
        this.#forgetLease();
        void this.#emit({ kind: "deconfig", ifname: options.ifname });
      },
    });
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }

  get restarts(): number {
    return this.#process.restarts;
  }

  renew(): void {
    if (this.#activity === "asking") return;
    if (this.#activity === "idle") {
      this.#process.restart();
      return;
    }
    const now = performance.now();
    if (this.#renewSignalledAt !== undefined && now - this.#renewSignalledAt < RENEW_PATIENCE_MS) {
      this.#log.debug("a renewal is under way: not asking again");
      return;
    }
    this.#renewSignalledAt = now;
    this.#process.signal("SIGUSR1");
  }

  release(): void {
    this.#forgetLease();
    this.#process.signal("SIGUSR2");
  }

  async stop(): Promise<void> {
    await this.#process.stop();
    this.#forgetLease();
    await this.#events;
  }

  #forgetLease(): void {
    clearTimeout(this.#leaseEnd);
    this.#leaseEnd = undefined;
    this.#leaseEndsAt = undefined;
  }

  /**
   * Whether a deconfig or leasefail leaves the address on. udhcpc gives up a
   * renewal it was asked for (SIGUSR1) after three unanswered requests, about
   * three seconds, reports deconfig and discovers: a server that forgot its
   * leases (restarted) stays silent to a renewing client it has no record
   * of, as RFC 2131 lets it, and answers the discover a moment later with
   * the same address. Dropping the address for that moment would move the
   * routes off a working uplink and start its checks over. The lease was
   * granted until its end, so the address stays until then (the kernel's
   * lifetime for it is the same), unless a new lease comes first; a NAK, a
   * release or udhcpc's exit end it at once.
   */
  #holdsLease(event: DhcpEvent): boolean {
    if (event.kind === "nak") this.#forgetLease();
    if (event.kind !== "deconfig" && event.kind !== "leasefail") return false;
    const endsAt = this.#leaseEndsAt;
    if (endsAt === undefined || performance.now() >= endsAt) return false;
    if (this.#leaseEnd === undefined) {
      this.#log.info(
        { leaseLeftMs: Math.round(endsAt - performance.now()) },
        "udhcpc gave up a renewal before the lease ends: the address stays while it asks again",
      );
      this.#leaseEnd = setTimeout(
        () => {
          this.#forgetLease();
          void this.#emit({ kind: "deconfig", ifname: this.#options.ifname });
        },
        // setTimeout's longest wait; a lease ending later is ended by the kernel's lifetime first.
        Math.min(endsAt - performance.now(), 2 ** 31 - 1),
      );
    }
    return true;
  }

  #start(args: string[]): ProcessStart {
    const { server, udhcpcPath } = this.#options;
    this.#renewSignalledAt = undefined;
    this.#activity = "idle";
    const token = randomBytes(16).toString("hex");
    const unregister = server.register(token, (report) => this.#onReport(token, report));
    this.#token = token;
    const [file, fileArgs] = udhcpcPath ? [udhcpcPath, args] : ["busybox", ["udhcpc", ...args]];
    return {
      file,
      args: fileArgs,
      env: {
        PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
        [SOCKET_ENV]: server.path,
        [TOKEN_ENV]: token,
      },
      ended: () => {
        unregister();
        if (this.#token === token) this.#token = undefined;
      },
    };
  }

  async #onReport(token: string, report: Record<string, string>): Promise<void> {
    if (this.#process.stopping) return;
    let event: DhcpEvent;
    try {
      event = parseDhcpReport(report, { requested: this.#requested });
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
    if (this.#token !== token) return;
    if (this.#holdsLease(event)) {
      this.#renewSignalledAt = undefined;
      this.#activity = "idle";
      return;
    }
    await this.#emit(event);
  }

  #onOutput(line: string): void {
    this.#log.debug({ output: line }, "udhcpc");
    // "broadcasting discover", "broadcasting select for …", "sending renew to …".
    if (this.#activity === "idle" && /\b(?:broadcasting|sending) /.test(line)) {
      this.#activity = "asking";
    }
  }

  #emit(event: DhcpEvent): Promise<void> {
    this.#renewSignalledAt = undefined;
    const lease = event.kind === "bound" || event.kind === "renew";
    this.#activity = lease ? "bound" : "idle";
    if (lease) {
      clearTimeout(this.#leaseEnd);
      this.#leaseEnd = undefined;
      this.#leaseEndsAt = performance.now() + udhcpcAddressLifetime(event.leaseSeconds) * 1_000;
    } else if (event.kind !== "leasefail") {
      this.#forgetLease();
    }
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
}
