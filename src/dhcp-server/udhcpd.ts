import { rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../linux/atomic-write.js";
import type { CommandRunner } from "../linux/command-runner.js";
import { assertInterfaceName } from "../linux/interface-name.js";
import { assertMayChangeNetwork } from "../linux/network-namespace.js";
import { SupervisedProcess } from "../linux/supervised-process.js";
import type { Logger } from "../log.js";
import { LeaseWatcher } from "./lease-watcher.js";
import type { DhcpLease } from "./leases.js";
import type { DhcpdConfig } from "./schema.js";
import { DEFAULT_LEASE_WRITE_SECONDS, udhcpdArguments, udhcpdConf } from "./udhcpd-conf.js";

/**
 * Keeps busybox udhcpd serving one interface (a SupervisedProcess): writes
 * its config file, restarts it with backoff when it dies, and reports the
 * clients' leases from its lease file. udhcpd keeps its leases in that file
 * across its own restarts; stop() removes it with the other files.
 */

/** The daemon as a technology's plan names it: serve `dhcpd` on an interface with this static address. */
export interface UdhcpdDaemonSpec {
  kind: "udhcpd";
  ifname: string;
  dhcpd: DhcpdConfig;
  address: string;
  prefixLength: number;
  /**
   * Forget every lease when the link loses carrier: on a direct link the
   * next peer may be another machine, and the one address must be free for it.
   */
  forgetLeasesOnCarrierLoss?: boolean | undefined;
}

export interface UdhcpdOptions
  extends Omit<UdhcpdDaemonSpec, "kind" | "forgetLeasesOnCarrierLoss"> {
  runner: CommandRunner;
  /**
   * Where the config, lease and pid files go (created 0700 if missing). The
   * lease file is rewritten every few seconds: a tmpfs such as /run, not flash.
   */
  configDir: string;
  logger: Logger;
  /** The clients' leases: once when it starts, then at every change. Not called after stop. */
  onLeases: (leases: DhcpLease[]) => void;
  /** The config file could not be written: udhcpd does not run. */
  onError?: ((error: Error) => void) | undefined;
  /** A record of the running udhcpd's pid (see SupervisedProcess). */
  pidFile?: string | undefined;
  /** First delay before a restart; doubles per quick failure up to 30 s. Default 1000. */
  restartDelayMs?: number | undefined;
  /** udhcpd's ARP probe before it offers an address (`-a`); see DEFAULT_ARP_PROBE_MS. */
  arpProbeMs?: number | undefined;
  /** How often udhcpd rewrites its lease file by itself (`auto_time`); see DEFAULT_LEASE_WRITE_SECONDS. */
  leaseWriteSeconds?: number | undefined;
  /** A udhcpd binary; by default `busybox udhcpd`. */
  udhcpdPath?: string | undefined;
}

export interface Udhcpd {
  /** Stops udhcpd (SIGTERM, SIGKILL after 2 s) and removes its files; resolves once all is done. */
  stop(): Promise<void>;
  /** The running udhcpd's pid; undefined before it started, between a death and its restart, and after stop. */
  readonly pid: number | undefined;
  /** How many times udhcpd was started again after it died. */
  readonly restarts: number;
  /** The leases last reported to onLeases. */
  readonly leases: readonly DhcpLease[];
  /** Starts udhcpd again without its leases (udhcpd itself never drops one early). */
  forgetLeases(): void;
}

export interface UdhcpdPaths {
  config: string;
  leases: string;
  /** udhcpd's own pid file (it insists on one), not the manager's pid record. */
  pid: string;
}

export function udhcpdPaths(configDir: string, ifname: string): UdhcpdPaths {
  assertInterfaceName(ifname);
  return {
    config: join(configDir, `udhcpd-${ifname}.conf`),
    leases: join(configDir, `udhcpd-${ifname}.leases`),
    pid: join(configDir, `udhcpd-${ifname}.pid`),
  };
}

/** udhcpd's log lines of every exchange: details, not news. */
const ROUTINE_LINE =
  /^udhcpd: (started, |sending (OFFER|ACK) to |found static lease|received SIGUSR1|can't open '.*\.leases')/;
/** Printed (before its ACK is sent) as udhcpd grants or renews a lease. */
const GRANTED_LINE = /sending ACK to /;
const POOL_FULL_LINE = /no free IP addresses/;
const POOL_FULL_WARNING_INTERVAL_MS = 60_000;

/**
 * Starts serving. Throws UdhcpdConfigError (naming the field) for a spec
 * udhcpd must not get, and refuses the initial namespace under
 * STATENET_REQUIRE_NETNS; everything later is reported, not thrown.
 */
export function startUdhcpd(options: UdhcpdOptions): Udhcpd {
  const { ifname, address, prefixLength, dhcpd, configDir } = options;
  const paths = udhcpdPaths(configDir, ifname);
  const conf = udhcpdConf({
    ifname,
    dhcpd,
    address,
    prefixLength,
    leaseFile: paths.leases,
    pidFile: paths.pid,
    leaseWriteSeconds: options.leaseWriteSeconds,
  });
  const args = udhcpdArguments({
    address,
    configPath: paths.config,
    arpProbeMs: options.arpProbeMs,
  });
  // udhcpd answers on the interface: tests must keep it inside a namespace.
  assertMayChangeNetwork(options.runner.netns, `udhcpd on ${ifname}`);
  return new UdhcpdSupervisor(options, paths, conf, args);
}

class UdhcpdSupervisor implements Udhcpd {
  readonly #options: UdhcpdOptions;
  readonly #paths: UdhcpdPaths;
  readonly #log: Logger;
  readonly #started: Promise<void>;
  #process: SupervisedProcess | undefined;
  #watcher: LeaseWatcher | undefined;
  #stopping: Promise<void> | undefined;
  #poolFullWarnedAt = Number.NEGATIVE_INFINITY;
  /** The next start begins without the lease file. */
  #forget = false;

  constructor(options: UdhcpdOptions, paths: UdhcpdPaths, conf: string, args: string[]) {
    this.#options = options;
    this.#paths = paths;
    this.#log = options.logger.child({ component: "udhcpd", ifname: options.ifname });
    this.#started = this.#start(conf, args);
  }

  get pid(): number | undefined {
    return this.#process?.pid;
  }

  get restarts(): number {
    return this.#process?.restarts ?? 0;
  }

  get leases(): readonly DhcpLease[] {
    return this.#watcher?.leases ?? [];
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  forgetLeases(): void {
    if (this.#stopping || !this.#process) return;
    this.#log.info("forgetting the DHCP leases");
    this.#forget = true;
    this.#process.restart();
  }

  async #stop(): Promise<void> {
    await this.#started;
    // First, so that nothing is reported once stop was asked for.
    await this.#watcher?.close();
    await this.#process?.stop();
    const { config, leases, pid } = this.#paths;
    await Promise.all([config, leases, pid].map((path) => rm(path, { force: true })));
  }

  async #start(conf: string, args: string[]): Promise<void> {
    const { runner, udhcpdPath, leaseWriteSeconds } = this.#options;
    try {
      // Nothing secret in it; 0644 like any daemon's config.
      await writeFileAtomic(this.#paths.config, conf, 0o644, 0o700);
      if (this.#stopping) return;
      this.#watcher = new LeaseWatcher({
        path: this.#paths.leases,
        logger: this.#log,
        pollMs: (leaseWriteSeconds ?? DEFAULT_LEASE_WRITE_SECONDS) * 1000,
        onLeases: (leases) => {
          this.#log.info({ leases }, "DHCP leases");
          this.#options.onLeases(leases);
        },
      });
      const [file, fileArgs] = udhcpdPath ? [udhcpdPath, args] : ["busybox", ["udhcpd", ...args]];
      this.#process = new SupervisedProcess({
        name: "udhcpd",
        runner,
        logger: this.#log,
        restartDelayMs: this.#options.restartDelayMs,
        pidFile: this.#options.pidFile,
        start: () => {
          if (this.#forget) {
            // Here, between the old udhcpd's exit (it writes the file as it goes) and the new start.
            this.#forget = false;
            rmSync(this.#paths.leases, { force: true });
          }
          return {
            file,
            args: fileArgs,
            env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
          };
        },
        onLine: (line) => this.#onLine(line),
      });
    } catch (error) {
      this.#log.error({ err: error }, "could not start udhcpd");
      await this.#watcher?.close();
      this.#options.onError?.(error as Error);
    }
  }

  #onLine(line: string): void {
    if (ROUTINE_LINE.test(line)) this.#log.debug({ output: line }, "udhcpd");
    else if (!POOL_FULL_LINE.test(line)) this.#log.info({ output: line }, "udhcpd");
    else if (Date.now() - this.#poolFullWarnedAt >= POOL_FULL_WARNING_INTERVAL_MS) {
      // Every client's every discover says so: once a minute is enough.
      this.#poolFullWarnedAt = Date.now();
      this.#log.warn({ output: line }, "the DHCP range has no free address left");
    }
    // Not every busybox writes the file as it grants a lease (Debian's does not): ask for
    // a write. udhcpd takes the signal after it is done with this packet, lease recorded.
    if (GRANTED_LINE.test(line) && !this.#stopping) this.#process?.signal("SIGUSR1");
  }
}
