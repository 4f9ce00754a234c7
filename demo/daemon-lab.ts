import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import { type LabAuthenticator, startAuthenticator } from "../lab/authenticator.js";
import { Lab, type LabOptions, type LabServer } from "../lab/namespace-lab.js";
import { createLabPki } from "../lab/pki.js";
import type { ConnectivitySettings } from "../machines/connectivity-checker.js";
import type { ConfigInput, Ieee8021xConfig, InterfaceConfig } from "../src/config/schema.js";

/**
 * The `statenet` executable running inside a namespace lab, as a user runs it
 * on a device: for the demo and the benchmarks. Needs a build (`npm run build`).
 */

export const STATENET_BIN = fileURLToPath(new URL("../bin/statenet", import.meta.url));

/**
 * A modem: its power is the existence of its veth pair, cut and restored by a
 * command-based power manager with this watchdog; it serves DHCP itself while on.
 */
export interface LabModem {
  watchdogTimeoutMs: number;
  /** This uplink's own checker timings (a mobile uplink checks every minute by default). */
  connectivity?: Partial<ConnectivitySettings>;
}

export interface DaemonLabOptions {
  /**
   * Uplinks: `dhcp` gets a udhcpd on its router, `static` the lab's device
   * address; `ieee8021x` puts the uplink behind an 802.1X switch port
   * (hostapd, PEAP with a server certificate from a throwaway CA).
   */
  uplinks: ReadonlyArray<{
    ifname: string;
    ipv4: "dhcp" | "static";
    modem?: LabModem;
    ieee8021x?: boolean;
    /** Round-trip time added toward the internet hosts (lab/delayed-link.ts). */
    rttMs?: number;
  }>;
  internetHosts: readonly string[];
  logLevel?: string;
  /** Connectivity timings for every uplink, written into each one's configuration. */
  connectivity?: Partial<ConnectivitySettings>;
  /** More interfaces for the daemon's file beside the uplinks' (a WiFi radio the caller moves in with `prepare`). */
  interfaces?: NonNullable<ConfigInput["interfaces"]>;
  /** Runs once the lab is built, before the daemon starts: to put a radio into `lab.deviceNs`, say. */
  prepare?: (lab: Lab) => Promise<void>;
}

/** The namespace lab a daemon lab runs on. */
export function labOptionsOf(options: DaemonLabOptions): LabOptions {
  return {
    uplinks: options.uplinks.map(({ ifname, rttMs }) =>
      rttMs === undefined ? ifname : { ifname, rttMs },
    ),
    internetHosts: options.internetHosts,
  };
}

/** The device of the demo and the benchmarks: wired and cellular on DHCP, WiFi static. */
export const THREE_UPLINKS: DaemonLabOptions["uplinks"] = [
  { ifname: "eth0", ipv4: "dhcp" },
  { ifname: "wlan0", ipv4: "static" },
  { ifname: "wwan0", ipv4: "dhcp" },
];

/** Puts the uplink behind an 802.1X switch port; returns the device's side of it. */
async function switchPort(
  lab: Lab,
  ifname: string,
  ports: Map<string, LabAuthenticator>,
): Promise<Ieee8021xConfig> {
  const pki = await createLabPki(await lab.tempDir("pki"));
  const password = randomBytes(9).toString("base64");
  ports.set(
    ifname,
    await startAuthenticator(lab, ifname, {
      users: [{ identity: DEVICE_IDENTITY, method: "peap", password }],
      pki,
    }),
  );
  return {
    eap: "peap",
    identity: DEVICE_IDENTITY,
    password,
    caCert: pki.caCert,
    serverDomain: pki.serverName,
  };
}

export interface DaemonLog {
  /** Milliseconds since the daemon was started. */
  atMs: number;
  entry: { msg: string; [field: string]: unknown };
}

/** The device's 802.1X identity in the lab; the password is the lab's own. */
const DEVICE_IDENTITY = "kiosk-7";

/** Resident memory and open descriptors of a process, from /proc. */
export async function processResources(
  pid: number,
): Promise<{ rssMb: number; fds: number } | undefined> {
  try {
    const [status, fds] = await Promise.all([
      readFile(`/proc/${pid}/status`, "utf8"),
      readdir(`/proc/${pid}/fd`),
    ]);
    const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
    return { rssMb: kb / 1024, fds: fds.length };
  } catch {
    return undefined;
  }
}

/** The daemon as a user runs it on the device: `statenet run --config FILE` in its namespace. */
function runDaemon(lab: Lab, configPath: string, logLevel: string | undefined): ResultPromise {
  return execa("ip", ["netns", "exec", lab.deviceNs, STATENET_BIN, "run", "--config", configPath], {
    reject: false,
    env: { STATENET_LOG_LEVEL: logLevel ?? "debug" },
  });
}

export class DaemonLab {
  readonly log: DaemonLog[] = [];
  #listeners = new Set<(log: DaemonLog) => void>();
  #daemon: ResultPromise;

  private constructor(
    readonly lab: Lab,
    readonly dir: string,
    daemon: ResultPromise,
    readonly startedAt: number,
    /** The 802.1X switch ports, by uplink. */
    readonly ports: ReadonlyMap<string, LabAuthenticator>,
    /** The udhcpd of each DHCP uplink's router (modems serve their own). */
    readonly dhcpServers: Map<string, LabServer>,
    readonly configPath: string,
    readonly config: ConfigInput,
    readonly logLevel: string | undefined,
  ) {
    this.#daemon = daemon;
    this.#attach(daemon);
  }

  /** The running daemon process (a new one after `restart`). */
  get daemon(): ResultPromise {
    return this.#daemon;
  }

  #attach(daemon: ResultPromise): void {
    let pending = "";
    daemon.stdout?.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) this.#receive(line);
    });
  }

  /** Starts the daemon again with the same configuration, after the last one ended. */
  restart(): ResultPromise {
    this.#daemon = runDaemon(this.lab, this.configPath, this.logLevel);
    this.#attach(this.#daemon);
    return this.#daemon;
  }

  static async start(options: DaemonLabOptions): Promise<DaemonLab> {
    const lab = await Lab.create(labOptionsOf(options));
    try {
      const dir = await mkdtemp(join(tmpdir(), "statenet-daemon-lab-"));
      const interfaces: NonNullable<ConfigInput["interfaces"]> = {};
      const powerManagers: NonNullable<ConfigInput["powerManagers"]> = {};
      const ports = new Map<string, LabAuthenticator>();
      const dhcpServers = new Map<string, LabServer>();
      for (const { ifname, ipv4, modem, ieee8021x } of options.uplinks) {
        if (modem) {
          const commands = await lab.uplinkPowerCommands(
            ifname,
            ipv4 === "dhcp" ? { dhcpServer: {} } : {},
          );
          powerManagers[ifname] = {
            commands,
            watchdogTimeoutMs: modem.watchdogTimeoutMs,
            powerOnHoldMs: 2_000,
            timeToPowerOffMs: 0,
            minPowerOffMs: 1_000,
          };
        } else if (ipv4 === "dhcp") {
          dhcpServers.set(ifname, await lab.startDhcpServer(ifname));
        }
        const config: InterfaceConfig =
          ipv4 === "dhcp"
            ? { type: "ethernet", ipv4: { method: "dhcp" } }
            : lab.staticConfig(ifname);
        const connectivity = { ...options.connectivity, ...modem?.connectivity };
        interfaces[ifname] = {
          ...config,
          ...(Object.keys(connectivity).length > 0 && { connectivity }),
          ...(ieee8021x && { ieee8021x: await switchPort(lab, ifname, ports) }),
        } as InterfaceConfig;
      }
      Object.assign(interfaces, options.interfaces);
      await options.prepare?.(lab);
      const config: ConfigInput = {
        interfaces,
        powerManagers,
        internetHosts: options.internetHosts.map((host) => ({ host, port: 53 })),
        resolvConf: join(dir, "resolv.conf"),
        tmpDir: join(dir, "run"),
        stateDir: join(dir, "state"),
      };
      const configPath = join(dir, "statenet.json");
      // It may hold secrets (802.1X): readable by root only, as on a device.
      await writeFile(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
      const startedAt = performance.now();
      const daemon = runDaemon(lab, configPath, options.logLevel);
      return new DaemonLab(
        lab,
        dir,
        daemon,
        startedAt,
        ports,
        dhcpServers,
        configPath,
        config,
        options.logLevel,
      );
    } catch (error) {
      await lab.teardown();
      throw error;
    }
  }

  get pid(): number {
    return this.daemon.pid ?? 0;
  }

  #receive(line: string): void {
    let entry: DaemonLog["entry"];
    try {
      entry = JSON.parse(line) as DaemonLog["entry"];
    } catch {
      return;
    }
    const log = { atMs: performance.now() - this.startedAt, entry };
    this.log.push(log);
    for (const listener of this.#listeners) listener(log);
  }

  onLog(listener: (log: DaemonLog) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves with the first log entry (already seen or to come) that `predicate` accepts. */
  waitForLog(
    predicate: (entry: DaemonLog["entry"]) => boolean,
    timeoutMs = 10_000,
    /** Only entries logged after this many of them (`log.length` at some earlier moment). */
    after = 0,
  ): Promise<DaemonLog> {
    const seen = this.log.slice(after).find((log) => predicate(log.entry));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`no matching daemon log within ${timeoutMs} ms`));
      }, timeoutMs);
      const stop = this.onLog((log) => {
        if (!predicate(log.entry)) return;
        clearTimeout(timer);
        stop();
        resolve(log);
      });
    });
  }

  /** The daemon's resident memory, from /proc. */
  async rssMb(): Promise<number> {
    return (await processResources(this.pid))?.rssMb ?? Number.NaN;
  }

  /** Which uplink the device uses for `destination` now. */
  async routeDev(destination: string): Promise<string | undefined> {
    try {
      return (await this.lab.routeGet(destination)).dev;
    } catch {
      return undefined;
    }
  }

  /**
   * Polls `ip route get` until it names `ifname`; returns the milliseconds it
   * took. `pollMs` 0 polls back to back (for millisecond figures); waits of
   * seconds poll more gently so the poller does not load the machine.
   */
  async timeUntilRoute(
    destination: string,
    ifname: string,
    since: number,
    timeoutMs = 5_000,
    pollMs = 0,
  ): Promise<number> {
    for (;;) {
      if ((await this.routeDev(destination)) === ifname) return performance.now() - since;
      if (performance.now() - since > timeoutMs) {
        throw new Error(`route to ${destination} not on ${ifname} after ${timeoutMs} ms`);
      }
      if (pollMs > 0) await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /** SIGTERM to the daemon; resolves with its exit code. The lab stays. */
  async stopDaemon(): Promise<number | undefined> {
    this.daemon.kill("SIGTERM");
    return (await this.daemon).exitCode;
  }

  /** SIGTERM, then the exit code; the lab and files are removed whatever happens. */
  async stop(): Promise<number | undefined> {
    try {
      return await this.stopDaemon();
    } finally {
      await this.lab.teardown();
      await rm(this.dir, { recursive: true, force: true });
    }
  }
}
