import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { execa } from "execa";
import type { EthernetConfig } from "../src/config/schema.js";
import { createIpRunner, type IpRunner } from "../src/linux/ip.js";
import { processExit, terminate } from "../src/linux/terminate.js";
import { isIpv4Address } from "../src/route/ipv4.js";
import type { Ipv4Address } from "../src/route/types.js";
import { addUplinkDelay, checkRttMs } from "./delayed-link.js";

/**
 * Network namespace labs for tests, demos and benchmarks: a device namespace
 * whose uplinks are veth pairs to router namespaces, and optionally an
 * "internet" namespace behind every router. Nothing here touches the machine's
 * own namespace except creating and deleting the lab's namespaces.
 */

export interface LabUplinkOptions {
  /** Name of the uplink inside the device namespace, e.g. `eth0`. */
  ifname: string;
  /** The uplink's /24 network; by default 192.0.2.0/24, 198.51.100.0/24, then 198.18.N.0/24. */
  network?: string;
  /**
   * Round-trip time added between the router and the internet namespace
   * (lab/delayed-link.ts: netem is not in every kernel); needs `internetHosts`.
   */
  rttMs?: number;
}

export interface LabOptions {
  uplinks: ReadonlyArray<string | LabUplinkOptions>;
  /** Addresses of the internet host namespace (on its loopback); none means no internet namespace. */
  internetHosts?: readonly string[];
}

export interface LabUplink {
  ifname: string;
  routerNs: string;
  /** The router's end of the veth. */
  routerIfname: string;
  network: string;
  prefixLength: number;
  routerAddress: string;
  /** A free address for a static configuration of the device's end. */
  deviceAddress: string;
  /** The router's link to the internet namespace, when the lab has one. */
  upstream?: LabUpstream;
  /** The round-trip time added on the upstream link when the lab was built (lab/delayed-link.ts). */
  rttMs?: number;
}

/** A /30 on a veth pair: `up0` in the router namespace, `r<index>` in the internet namespace. */
export interface LabUpstream {
  routerIfname: string;
  routerAddress: string;
  internetIfname: string;
  internetAddress: string;
}

export interface DhcpServerOptions {
  /** Lease time in seconds, default 3600; busybox udhcpd also hands out short ones (30 s) for renew tests. */
  leaseSeconds?: number;
  /** Last octet of the first and the last address handed out; default .100 to .150. */
  rangeStart?: number;
  rangeEnd?: number;
  /** Default: the router's address. */
  nameServers?: string[];
  domain?: string;
  /** Option 42. */
  ntpServers?: string[];
  /** Option 119, the domain search list. */
  search?: string[];
}

/** A server the lab started (udhcpd, dnsmasq). */
export interface LabServer {
  readonly pid: number;
  /** Kills the server by its pid and removes its files. */
  stop(): Promise<void>;
}

const DEFAULT_NETWORKS = ["192.0.2.0/24", "198.51.100.0/24"];
const ROUTER_IFNAME = "down0";

function defaultNetwork(index: number): string {
  return DEFAULT_NETWORKS[index] ?? `198.18.${index}.0/24`;
}

function hostOf(network: string, host: number): string {
  const base = network.split("/")[0] as string;
  return `${base.split(".").slice(0, 3).join(".")}.${host}`;
}

let labCounter = 0;
const liveLabs = new Set<Lab>();

/** Every namespace of this process's labs starts with this; the pid lets a later run sweep leftovers. */
const LAB_PREFIX = `sn-${process.pid.toString(36)}-${randomBytes(2).toString("hex")}`;
const LAB_NAMESPACE = /^sn-([0-9a-z]+)-[0-9a-f]{4}-\d+-/;

/** Whether a process with this pid exists (a pid we may not signal still does). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Deletes lab namespaces left by runs whose process is gone (killed before its
 * exit handler could clean up). Returns the names it removed.
 */
export function sweepAbandonedLabs(): string[] {
  const listing = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
  const removed: string[] = [];
  for (const ns of listing.split("\n").map((line) => line.split(" ")[0] ?? "")) {
    const owner = LAB_NAMESPACE.exec(ns)?.[1];
    if (owner === undefined || processAlive(Number.parseInt(owner, 36))) continue;
    removeNamespaceSync(ns);
    removed.push(ns);
  }
  return removed;
}

/** Every process in a namespace (`ip netns pids`). */
export function namespacePids(ns: string): number[] {
  const { stdout } = spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" });
  return (stdout ?? "").split(/\s+/).filter(Boolean).map(Number);
}

function removeNamespaceSync(ns: string): void {
  for (const pid of namespacePids(ns)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  spawnSync("ip", ["netns", "del", ns]);
}

// A test runner or demo that dies without running its teardown must still not
// leave namespaces behind on a shared machine.
process.once("exit", () => {
  for (const lab of liveLabs) lab.teardownSync();
});

export class Lab {
  readonly name: string;
  readonly deviceNs: string;
  readonly internetNs: string | undefined;
  readonly uplinks: LabUplink[];
  readonly internetHosts: readonly string[];
  readonly #namespaces: string[];
  /** Files of daemons the lab started; their processes die with the namespaces. */
  readonly #tempDirs = new Set<string>();
  #torn = false;

  private constructor(options: LabOptions) {
    labCounter += 1;
    this.name = `${LAB_PREFIX}-${labCounter}`;
    this.deviceNs = `${this.name}-dev`;
    this.internetHosts = options.internetHosts ?? [];
    this.internetNs = this.internetHosts.length > 0 ? `${this.name}-inet` : undefined;
    this.uplinks = options.uplinks.map((uplink, index) => {
      const {
        ifname,
        network = defaultNetwork(index),
        rttMs,
      } = typeof uplink === "string" ? { ifname: uplink } : uplink;
      if (rttMs !== undefined) checkRttMs(`uplinks[${index}].rttMs`, rttMs, this.internetNs);
      return {
        ifname,
        routerNs: `${this.name}-r${index}`,
        routerIfname: ROUTER_IFNAME,
        network,
        prefixLength: Number(network.split("/")[1]),
        routerAddress: hostOf(network, 1),
        deviceAddress: hostOf(network, 10),
        ...(this.internetNs && {
          upstream: {
            routerIfname: "up0",
            routerAddress: `198.19.${index}.1`,
            internetIfname: `r${index}`,
            internetAddress: `198.19.${index}.2`,
          },
        }),
        ...(rttMs !== undefined && { rttMs }),
      };
    });
    this.#namespaces = [
      this.deviceNs,
      ...this.uplinks.map((uplink) => uplink.routerNs),
      ...(this.internetNs ? [this.internetNs] : []),
    ];
  }

  /** Builds a lab; on any failure, whatever was built is removed again. */
  static async create(options: LabOptions): Promise<Lab> {
    const lab = new Lab(options);
    liveLabs.add(lab);
    try {
      await lab.#build();
    } catch (error) {
      await lab.teardown();
      throw error;
    }
    return lab;
  }

  /** An `ip` runner for one of the lab's namespaces. */
  ip(ns: string = this.deviceNs): IpRunner {
    return createIpRunner({ netns: ns });
  }

  /** Runs a command inside one of the lab's namespaces. */
  exec(ns: string, file: string, args: readonly string[] = []) {
    return execa("ip", ["netns", "exec", ns, file, ...args], { env: { LC_ALL: "C" } });
  }

  uplink(ifname: string): LabUplink {
    const uplink = this.uplinks.find((candidate) => candidate.ifname === ifname);
    if (!uplink) throw new Error(`lab ${this.name} has no uplink ${ifname}`);
    return uplink;
  }

  /**
   * Gives every uplink its static device address without a kernel prefix
   * route (`noprefixroute`), as statenet configures addresses: the route
   * manager owns the routes.
   */
  async addDeviceAddresses(): Promise<void> {
    await this.#batch(
      this.deviceNs,
      this.uplinks.map(
        (uplink) =>
          `addr add ${uplink.deviceAddress}/${uplink.prefixLength} dev ${uplink.ifname} noprefixroute`,
      ),
    );
  }

  /** A statenet config giving the uplink's device end its static address, the router as gateway and name server. */
  staticConfig(ifname: string): EthernetConfig {
    const uplink = this.uplink(ifname);
    return {
      type: "ethernet",
      ipv4: {
        method: "static",
        address: uplink.deviceAddress,
        prefixLength: uplink.prefixLength,
        gateway: uplink.routerAddress,
        nameServers: [uplink.routerAddress],
      },
    };
  }

  /** The device address and gateway of an uplink, as the route manager is told them. */
  routing(uplink: LabUplink): { addresses: Ipv4Address[]; gateway: string } {
    return {
      addresses: [{ address: uplink.deviceAddress, prefixLength: uplink.prefixLength }],
      gateway: uplink.routerAddress,
    };
  }

  /** Pulls the cable: the router's end goes down, so the device's end loses carrier. */
  async unplug(ifname: string): Promise<void> {
    const uplink = this.uplink(ifname);
    await this.#batch(uplink.routerNs, [`link set ${uplink.routerIfname} down`]);
  }

  async plug(ifname: string): Promise<void> {
    const uplink = this.uplink(ifname);
    await this.#batch(uplink.routerNs, [`link set ${uplink.routerIfname} up`]);
  }

  /**
   * Commands that power an uplink "device" on and off, as a power manager's
   * `commands` run them: off deletes the veth pair (the device disappears),
   * on creates it again with the router's end configured (the device end
   * comes back down and unconfigured, like a freshly booted modem). With
   * `dhcpServer`, the device serves DHCP while it is on (busybox udhcpd,
   * started by "on" and killed by its pid by "off"), as a modem's own DHCP
   * server boots with it. Every `ip` names its namespace, so the script
   * touches only the lab.
   */
  async uplinkPowerCommands(
    ifname: string,
    options: { dhcpServer?: DhcpServerOptions } = {},
  ): Promise<{ powerOn: string[]; powerOff: string[] }> {
    const uplink = this.uplink(ifname);
    const dir = await this.tempDir("power");
    const script = join(dir, `${ifname}-power.sh`);
    const pidFile = join(dir, "udhcpd.pid");
    const dhcp = options.dhcpServer;
    if (dhcp) {
      await writeFile(join(dir, "udhcpd.conf"), udhcpdConfig(uplink, dir, dhcp), { mode: 0o600 });
    }
    const serverRunning = `[ -f ${pidFile} ] && kill -0 "$(cat ${pidFile})" 2>/dev/null`;
    const startServer = dhcp
      ? [
          `  ${serverRunning} || ip netns exec ${uplink.routerNs} busybox udhcpd -a 0 ${join(dir, "udhcpd.conf")}`,
        ]
      : [];
    const lines = [
      "#!/bin/sh",
      "set -e",
      'case "$1" in',
      "on)",
      // Already on (a power manager may power on a device that is on): only make sure it serves.
      `  if ! ip -n ${this.deviceNs} link show ${uplink.ifname} >/dev/null 2>&1; then`,
      `    ip -n ${this.deviceNs} link add ${uplink.ifname} type veth peer name ${uplink.routerIfname} netns ${uplink.routerNs}`,
      `    ip -n ${uplink.routerNs} addr add ${uplink.routerAddress}/${uplink.prefixLength} dev ${uplink.routerIfname}`,
      `    ip -n ${uplink.routerNs} link set ${uplink.routerIfname} up`,
      "  fi",
      ...startServer,
      "  ;;",
      "off)",
      // The pid the "on" branch started, and nothing else.
      `  if ${serverRunning}; then kill "$(cat ${pidFile})"; rm -f ${pidFile}; fi`,
      `  ip -n ${this.deviceNs} link del ${uplink.ifname}`,
      "  ;;",
      '*) echo "usage: $0 on|off" >&2; exit 2 ;;',
      "esac",
      "",
    ];
    await writeFile(script, lines.join("\n"), { mode: 0o700 });
    return { powerOn: ["/bin/sh", script, "on"], powerOff: ["/bin/sh", script, "off"] };
  }

  /** Which uplink the device would use to reach `destination` (optionally from a source address). */
  async routeGet(destination: string, from?: string): Promise<{ dev: string; gateway?: string }> {
    const args = ["route", "get", destination, ...(from ? ["from", from] : [])];
    const [route] = await this.ip().json<Array<{ dev: string; gateway?: string }>>(args);
    if (!route) throw new Error(`no route to ${destination} in ${this.deviceNs}`);
    return route;
  }

  /**
   * Runs busybox udhcpd in the router namespace of an uplink, serving the
   * device's end: router and name server are the router's address. `-a 0`
   * skips the 2 s ARP probe of each offered address, so a lease takes ~100 ms.
   * Resolves once the server listens on port 67.
   */
  async startDhcpServer(ifname: string, options: DhcpServerOptions = {}): Promise<LabServer> {
    const uplink = this.uplink(ifname);
    const dir = await this.tempDir("udhcpd");
    const conf = join(dir, "udhcpd.conf");
    await writeFile(conf, udhcpdConfig(uplink, dir, options), { mode: 0o600 });
    return this.startProcess(
      "udhcpd",
      uplink.routerNs,
      ["busybox", "udhcpd", "-f", "-a", "0", conf],
      {
        dir,
        ready: (gone) => this.#waitForUdp(uplink.routerNs, 67, gone),
      },
    );
  }

  /**
   * Runs dnsmasq as the uplink router's name server (on the router's
   * address), answering `names` (name → address) and nothing else.
   * Resolves once it listens on port 53.
   */
  async startNameServer(
    ifname: string,
    names: Readonly<Record<string, string>>,
  ): Promise<LabServer> {
    const uplink = this.uplink(ifname);
    const dir = await this.tempDir("dnsmasq");
    const records = Object.entries(names).map(([name, address]) => `--address=/${name}/${address}`);
    const argv = [
      "dnsmasq",
      "--keep-in-foreground",
      "--conf-file=/dev/null",
      "--no-resolv",
      "--no-hosts",
      "--port=53",
      `--listen-address=${uplink.routerAddress}`,
      "--bind-interfaces",
      `--pid-file=${join(dir, "dnsmasq.pid")}`,
      ...records,
    ];
    return this.startProcess("dnsmasq", uplink.routerNs, argv, {
      dir,
      ready: (gone) => this.#waitForUdp(uplink.routerNs, 53, gone),
    });
  }

  /** A directory for a lab process's files, removed with the lab at the latest. */
  async tempDir(purpose: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `statenet-${purpose}-`));
    this.#tempDirs.add(dir);
    return dir;
  }

  /**
   * Runs a server in one of the lab's namespaces; resolves once `ready` does
   * (it is told whether the process is gone). `stop` kills it by its pid and
   * removes `dir`.
   */
  async startProcess(
    name: string,
    ns: string,
    argv: readonly string[],
    options: {
      dir: string;
      ready: (gone: () => boolean) => Promise<void>;
      /** Each line of its standard output; otherwise the output is dropped. */
      onLine?: (line: string) => void;
    },
  ): Promise<LabServer> {
    const { dir, ready, onLine } = options;
    const child = execa("ip", ["netns", "exec", ns, ...argv], {
      env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
      extendEnv: false,
      stdin: "ignore",
      stdout: onLine ? "pipe" : "ignore",
      buffer: false,
      reject: false,
    });
    if (onLine && child.stdout) {
      createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY }).on(
        "line",
        onLine,
      );
    }
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4096);
    });
    let exited = false;
    const exit = processExit(child).then(() => {
      exited = true;
    });
    const { pid } = child;
    const stop = async () => {
      if (pid !== undefined && !exited) await terminate(pid, exit);
      await rm(dir, { recursive: true, force: true });
      this.#tempDirs.delete(dir);
    };
    try {
      if (pid === undefined) throw new Error("did not start");
      await ready(() => exited);
    } catch (error) {
      await stop();
      throw new Error(`${name} in ${ns}: ${(error as Error).message} ${stderr.trim()}`);
    }
    return { pid, stop };
  }

  /** Polls `ss` until something listens on the UDP port, or fails when `gone()` says the server died. */
  async #waitForUdp(ns: string, port: number, gone: () => boolean): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const { stdout } = await execa("ip", [
        "netns",
        "exec",
        ns,
        "ss",
        "-H",
        "-lun",
        `sport = :${port}`,
      ]);
      if (stdout.trim() !== "") return;
      if (gone()) throw new Error("exited before listening");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`not listening on UDP port ${port} after 5 s`);
  }

  async teardown(): Promise<void> {
    this.teardownSync();
  }

  /** Kills every process inside the lab's namespaces, then deletes them. */
  teardownSync(): void {
    if (this.#torn) return;
    this.#torn = true;
    for (const ns of this.#namespaces) removeNamespaceSync(ns);
    for (const dir of this.#tempDirs) rmSync(dir, { recursive: true, force: true });
    liveLabs.delete(this);
  }

  async #batch(ns: string | undefined, lines: readonly string[]): Promise<void> {
    const namespaceArgs = ns ? ["-n", ns] : [];
    await execa("ip", [...namespaceArgs, "-batch", "-"], { input: `${lines.join("\n")}\n` });
  }

  async #sysctl(ns: string, setting: string, value: string): Promise<void> {
    const path = `/proc/sys/${setting.replaceAll(".", "/")}`;
    await this.exec(ns, "sh", ["-c", `echo ${value} > ${path}`]);
  }

  async #build(): Promise<void> {
    await this.#batch(
      undefined,
      this.#namespaces.map((ns) => `netns add ${ns}`),
    );
    await this.#batch(this.deviceNs, [
      "link set lo up",
      ...this.uplinks.flatMap((uplink) => [
        `link add ${uplink.ifname} type veth peer name ${uplink.routerIfname} netns ${uplink.routerNs}`,
        `link set ${uplink.ifname} up`,
      ]),
    ]);
    await Promise.all(
      this.uplinks.map(async (uplink) => {
        const lines = [
          "link set lo up",
          `link set ${uplink.routerIfname} up`,
          `addr add ${uplink.routerAddress}/${uplink.prefixLength} dev ${uplink.routerIfname}`,
        ];
        const { upstream } = uplink;
        if (this.internetNs && upstream) {
          lines.push(
            `link add ${upstream.routerIfname} type veth peer name ${upstream.internetIfname} netns ${this.internetNs}`,
            `link set ${upstream.routerIfname} up`,
            `addr add ${upstream.routerAddress}/30 dev ${upstream.routerIfname}`,
            `route add default via ${upstream.internetAddress} dev ${upstream.routerIfname}`,
          );
        }
        await this.#batch(uplink.routerNs, lines);
        await this.#sysctl(uplink.routerNs, "net.ipv4.ip_forward", "1");
      }),
    );
    if (this.internetNs) {
      await this.#batch(this.internetNs, [
        "link set lo up",
        ...this.internetHosts.map((host) => `addr add ${host}/32 dev lo`),
        ...this.uplinks.flatMap(({ upstream, network }) =>
          upstream
            ? [
                `link set ${upstream.internetIfname} up`,
                `addr add ${upstream.internetAddress}/30 dev ${upstream.internetIfname}`,
                `route add ${network} via ${upstream.routerAddress} dev ${upstream.internetIfname}`,
              ]
            : [],
        ),
      ]);
    }
    await Promise.all(
      this.uplinks.map(({ ifname, rttMs }) =>
        rttMs === undefined ? undefined : addUplinkDelay(this, ifname, rttMs),
      ),
    );
  }
}

function netmaskOf(prefixLength: number): string {
  const mask = prefixLength === 0 ? 0 : (0xffff_ffff << (32 - prefixLength)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (mask >>> shift) & 0xff).join(".");
}

/** The values go into a config file line by line: nothing may carry a newline or a stray word. */
function dhcpServerProblem(options: DhcpServerOptions): string | undefined {
  const { rangeStart = 0, rangeEnd = 0, leaseSeconds = 0, nameServers = [], domain } = options;
  const { ntpServers = [], search = [] } = options;
  const octet = (n: number) => Number.isInteger(n) && n >= 1 && n <= 254;
  if (!octet(rangeStart) || !octet(rangeEnd) || rangeStart > rangeEnd) {
    return `bad range .${rangeStart}-.${rangeEnd}`;
  }
  if (!Number.isInteger(leaseSeconds) || leaseSeconds < 1) return `bad lease ${leaseSeconds}`;
  const badServer = [...nameServers, ...ntpServers].find((server) => !isIpv4Address(server));
  if (badServer !== undefined) return `bad server ${badServer}`;
  const badName = [...(domain === undefined ? [] : [domain]), ...search].find(
    (name) => !/^[A-Za-z0-9.-]+$/.test(name),
  );
  if (badName !== undefined) return `bad domain ${badName}`;
  return undefined;
}

function udhcpdConfig(uplink: LabUplink, dir: string, options: DhcpServerOptions): string {
  const { rangeStart = 100, rangeEnd = 150, leaseSeconds = 3600, domain } = options;
  const { ntpServers = [], search = [] } = options;
  const nameServers = options.nameServers ?? [uplink.routerAddress];
  const problem = dhcpServerProblem({
    ...options,
    rangeStart,
    rangeEnd,
    leaseSeconds,
    nameServers,
  });
  if (problem) throw new Error(`DHCP server for ${uplink.ifname}: ${problem}`);
  return [
    `interface ${uplink.routerIfname}`,
    `start ${hostOf(uplink.network, rangeStart)}`,
    `end ${hostOf(uplink.network, rangeEnd)}`,
    `max_leases ${rangeEnd - rangeStart + 1}`,
    `lease_file ${join(dir, "leases")}`,
    `pidfile ${join(dir, "udhcpd.pid")}`,
    `option subnet ${netmaskOf(uplink.prefixLength)}`,
    `option router ${uplink.routerAddress}`,
    ...(nameServers.length > 0 ? [`option dns ${nameServers.join(" ")}`] : []),
    ...(domain !== undefined ? [`option domain ${domain}`] : []),
    ...(ntpServers.length > 0 ? [`option ntpsrv ${ntpServers.join(" ")}`] : []),
    ...(search.length > 0 ? [`option search ${search.join(" ")}`] : []),
    `option lease ${leaseSeconds}`,
    "",
  ].join("\n");
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * For scripts (demo, bench): turn Ctrl-C and SIGTERM into a normal exit, so the
 * exit handler removes the labs.
 */
export function exitOnSignals(): void {
  if (isRoot()) sweepAbandonedLabs();
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => process.exit(130));
  }
}

/** Whether labs can be built here; the reason when not. */
export function labUnavailableReason(): string | undefined {
  if (!isRoot()) {
    return "needs root: network namespaces and veth pairs need CAP_NET_ADMIN and CAP_SYS_ADMIN (run with sudo)";
  }
  const ip = spawnSync("ip", ["-V"], { encoding: "utf8" });
  if (ip.status !== 0) return "needs iproute2 (`ip`): apt-get install iproute2";
  return undefined;
}
