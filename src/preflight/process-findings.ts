import type { Finding } from "./findings.js";

/**
 * Other network managers and DHCP clients, judged from what /proc shows
 * (src/preflight/probe.ts reads it). Only warnings: statenet can run next to
 * them, but they may undo what it does.
 */

export interface ProcessInfo {
  pid: number;
  /** /proc/PID/comm: at most 15 characters. */
  comm: string;
  argv: readonly string[];
  /** Whether it lives in statenet's network namespace; undefined when that could not be read. */
  sameNetns: boolean | undefined;
}

export interface ProcessContext {
  /** The interfaces the configuration manages. */
  managed: readonly string[];
  /** The handler statenet gives its own udhcpc (`-s`): those are not someone else's. */
  ownHandler: string;
}

/**
 * Daemons that manage a whole namespace's interfaces, by their comm (cut to
 * 15 characters by the kernel). They are reported wherever they run: a
 * daemon of the machine is worth knowing about on a device.
 */
const NETWORK_MANAGERS: ReadonlyMap<string, string> = new Map([
  ["NetworkManager", "NetworkManager"],
  ["connmand", "ConnMan (connmand)"],
  ["systemd-network", "systemd-networkd"],
]);

/** DHCP clients that may take any interface of their namespace. */
const DHCP_CLIENTS = new Set(["dhcpcd", "dhclient"]);

const basename = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/** udhcpc run by its own name or as a busybox applet. */
function udhcpcArgs(argv: readonly string[]): readonly string[] | undefined {
  const [program, applet] = argv;
  if (program === undefined) return undefined;
  if (basename(program) === "udhcpc") return argv.slice(1);
  if (basename(program) === "busybox" && applet === "udhcpc") return argv.slice(2);
  return undefined;
}

/** An option's value: `-i eth0`, `-ieth0`, `--interface eth0` or `--interface=eth0`. */
function optionValue(args: readonly string[], short: string, long: string): string | undefined {
  for (const [index, arg] of args.entries()) {
    if (arg === short || arg === long) return args[index + 1];
    if (arg.startsWith(`${long}=`)) return arg.slice(long.length + 1);
    if (arg.startsWith(short) && !arg.startsWith("--")) return arg.slice(short.length);
  }
  return undefined;
}

/** The interface a udhcpc serves, and its handler script. */
export function parseUdhcpcCommand(
  argv: readonly string[],
): { ifname: string; script: string | undefined } | undefined {
  const args = udhcpcArgs(argv);
  if (args === undefined) return undefined;
  return {
    // udhcpc's own default.
    ifname: optionValue(args, "-i", "--interface") ?? "eth0",
    script: optionValue(args, "-s", "--script"),
  };
}

export function processFindings(
  context: ProcessContext,
  processes: readonly ProcessInfo[],
): Finding[] {
  const managed = context.managed.length > 0 ? context.managed.join(", ") : "its interfaces";
  const findings: Finding[] = [];
  const warn = (message: string) =>
    findings.push({ level: "warning", check: "processes", message });
  for (const proc of processes) {
    const manager = NETWORK_MANAGERS.get(proc.comm);
    if (manager !== undefined) {
      const where = proc.sameNetns === false ? " in another network namespace" : "";
      warn(
        `${manager} is running (pid ${proc.pid})${where}: it may change what statenet sets; stop it or have it leave ${managed} alone`,
      );
      continue;
    }
    if (DHCP_CLIENTS.has(proc.comm)) {
      if (proc.sameNetns === false) continue;
      warn(
        `${proc.comm} is running (pid ${proc.pid}) in this network namespace: it may take ${managed}; stop it`,
      );
      continue;
    }
    const udhcpc = parseUdhcpcCommand(proc.argv);
    // Labs and containers run udhcpc for interfaces of the same name in namespaces of their own.
    if (udhcpc === undefined || proc.sameNetns !== true) continue;
    if (!context.managed.includes(udhcpc.ifname) || udhcpc.script === context.ownHandler) continue;
    warn(
      `udhcpc (pid ${proc.pid}) already runs on ${udhcpc.ifname}: two DHCP clients would fight over its address; stop it`,
    );
  }
  if (findings.length === 0) {
    findings.push({
      level: "ok",
      check: "processes",
      message: "no other network manager or DHCP client in the way",
    });
  }
  return findings;
}
