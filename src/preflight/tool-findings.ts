import type { Config } from "../config/schema.js";
import type { ConfigProblem } from "../config/validate.js";
import { STATENET_PROTOCOL } from "../route/constants.js";
import type { TechnologyPlanner } from "../technologies/technology.js";
import type { Finding } from "./findings.js";

/**
 * Pure judgements of what the platform probes saw (src/preflight/probe.ts
 * gathers them): the programs statenet runs and the kernel features it needs.
 */

/** How a probing command ended. */
export type CommandOutcome =
  | { kind: "missing" }
  | { kind: "exited"; code: number; stdout: string; stderr: string }
  /** It could not be run to an end: a timeout, a signal, permissions. */
  | { kind: "failed"; reason: string };

export interface IpProbe {
  /** `ip -V` */
  version: CommandOutcome;
  /** `ip -j link show dev lo` */
  json: CommandOutcome;
  /** `ip -force -batch -` reading `link show dev lo` */
  batch: CommandOutcome;
}

export interface UdhcpcProbe {
  /** Where `busybox` is on PATH (statenet runs `busybox udhcpc`). */
  busybox: string | undefined;
  /** `busybox --list`, when busybox is there. */
  applets: CommandOutcome | undefined;
}

const succeeded = (outcome: CommandOutcome): outcome is Extract<CommandOutcome, { code: number }> =>
  outcome.kind === "exited" && outcome.code === 0;

function firstLine(outcome: CommandOutcome): string {
  if (outcome.kind === "missing") return "not found";
  if (outcome.kind === "failed") return outcome.reason;
  const text = `${outcome.stderr}\n${outcome.stdout}`.trim();
  return text.split("\n")[0]?.trim() || `exit code ${outcome.code}`;
}

function isJsonList(text: string): boolean {
  try {
    return Array.isArray(JSON.parse(text));
  } catch {
    return false;
  }
}

const list = (names: readonly string[]) => names.join(", ");
const useVerb = (names: readonly string[]) => (names.length === 1 ? "uses" : "use");

/**
 * iproute2's `ip` with `-json` and `-batch`: statenet reads the kernel with
 * one and changes it with the other. BusyBox's `ip` has neither and answers
 * both with its usage text.
 */
export function ipFinding(probe: IpProbe): Finding {
  const error = (message: string): Finding => ({ level: "error", check: "ip", message });
  if (probe.version.kind === "missing") {
    return error("ip is not on PATH: statenet needs iproute2's (-json, -batch): install iproute2");
  }
  const printed = [probe.version, probe.json, probe.batch].map((outcome) =>
    outcome.kind === "exited" ? outcome.stdout + outcome.stderr : "",
  );
  if (printed.some((text) => text.includes("BusyBox"))) {
    return error("ip is BusyBox's, statenet needs iproute2's (-json, -batch): install iproute2");
  }
  const version =
    probe.version.kind === "exited"
      ? /iproute2-([^\s,]+)/.exec(probe.version.stdout)?.[1]
      : undefined;
  const name = version === undefined ? "ip (version unknown)" : `iproute2 ${version}`;
  const lacking = [
    succeeded(probe.json) && isJsonList(probe.json.stdout)
      ? []
      : [`-json (${firstLine(probe.json)})`],
    succeeded(probe.batch) ? [] : [`-batch (${firstLine(probe.batch)})`],
  ].flat();
  if (lacking.length > 0) {
    return error(`${name} fails with ${lacking.join(" and ")}: install a newer iproute2`);
  }
  return { level: "ok", check: "ip", message: `ip is ${name} (-json, -batch)` };
}

/** The rules every kernel with policy routing starts with. */
const DEFAULT_RULES = [
  { priority: 0, table: "local" },
  { priority: 32766, table: "main" },
  { priority: 32767, table: "default" },
] as const;

interface RuleJson {
  priority?: number;
  table?: string;
  protocol?: string;
}

/**
 * Policy routing from `ip -d -j -4 rule show`: it fails without
 * CONFIG_IP_MULTIPLE_TABLES, and only a kernel that keeps a rule's protocol
 * (and an ip that shows it) lets statenet tell its rules (protocol 222) from
 * everyone else's.
 */
export function policyRoutingFinding(rules: CommandOutcome): Finding {
  const finding = (level: Finding["level"], message: string): Finding => ({
    level,
    check: "policy-routing",
    message: `policy routing: ${message}`,
  });
  if (!succeeded(rules)) {
    return finding(
      "error",
      `"ip -4 rule show" fails (${firstLine(rules)}): the kernel needs CONFIG_IP_MULTIPLE_TABLES`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(rules.stdout);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed)) {
    return finding("error", `"ip -j -4 rule show" printed no list of rules`);
  }
  const shown = parsed as RuleJson[];
  if (shown.length > 0 && !shown.some((rule) => rule.protocol !== undefined)) {
    return finding(
      "error",
      `rules carry no protocol (Linux and iproute2 4.17 or later keep it): statenet could not tell its own (protocol ${STATENET_PROTOCOL}) from others'`,
    );
  }
  const missing = DEFAULT_RULES.filter(
    (expected) =>
      !shown.some((rule) => rule.priority === expected.priority && rule.table === expected.table),
  );
  if (missing.length > 0) {
    const names = missing.map((rule) => `${rule.priority}: lookup ${rule.table}`);
    return finding("warning", `the kernel's default rule(s) ${list(names)} are gone`);
  }
  return finding("ok", `${shown.length} rules, protocol ${STATENET_PROTOCOL} usable`);
}

/**
 * The interfaces whose plans run each daemon kind (`udhcpc`, `udhcpd`,
 * `wifi`, `wpa_supplicant`, …): what the configuration needs installed,
 * whatever technology asks for it.
 */
export function daemonUsers(config: Config, planner: TechnologyPlanner): Map<string, string[]> {
  const users = new Map<string, string[]>();
  for (const [ifname, settings] of Object.entries(config.interfaces)) {
    for (const { kind } of planner(ifname, settings).daemons) {
      const list = users.get(kind) ?? [];
      if (!list.includes(ifname)) list.push(ifname);
      users.set(kind, list);
    }
  }
  return users;
}

/** What each busybox applet statenet runs is for, as `check` and in messages. */
const APPLET_USES = {
  udhcpc: { use: "DHCP", config: "CONFIG_UDHCPC" },
  udhcpd: { use: "a DHCP server", config: "CONFIG_UDHCPD" },
} as const;

/** `busybox udhcpc` or `busybox udhcpd`, as statenet runs them; needed only when some interface's plan does. */
export function appletFinding(
  applet: keyof typeof APPLET_USES,
  users: readonly string[],
  probe: UdhcpcProbe,
): Finding | undefined {
  if (users.length === 0) return undefined;
  const { use, config } = APPLET_USES[applet];
  const error = (message: string): Finding => ({ level: "error", check: applet, message });
  const who = `${list(users)} ${useVerb(users)} ${use}`;
  if (probe.busybox === undefined || probe.applets === undefined) {
    return error(
      `${applet}: ${who}, but busybox is not on PATH (statenet runs "busybox ${applet}"): install busybox`,
    );
  }
  if (!succeeded(probe.applets)) {
    return error(`${applet}: "${probe.busybox} --list" fails (${firstLine(probe.applets)})`);
  }
  if (!hasApplet(probe, applet)) {
    return error(`${applet}: ${who}, but ${probe.busybox} has no ${applet} applet (${config})`);
  }
  return {
    level: "ok",
    check: applet,
    message: `${applet}: busybox ${applet} (${probe.busybox}) for ${list(users)}`,
  };
}

function hasApplet(probe: UdhcpcProbe, applet: string): boolean {
  return (
    probe.applets !== undefined &&
    succeeded(probe.applets) &&
    probe.applets.stdout.split("\n").some((line) => line.trim() === applet)
  );
}

/**
 * A program that flocks an inherited descriptor (util-linux `flock`, or
 * busybox's applet): the one-instance lock (src/linux/instance-lock.ts)
 * needs one, so `run` cannot start without it.
 */
export function flockFinding(flock: string | undefined, busybox: UdhcpcProbe): Finding {
  if (flock !== undefined) {
    return { level: "ok", check: "flock", message: `flock (${flock}) for the instance lock` };
  }
  if (busybox.busybox !== undefined && hasApplet(busybox, "flock")) {
    return {
      level: "ok",
      check: "flock",
      message: `busybox flock (${busybox.busybox}) for the instance lock`,
    };
  }
  return {
    level: "error",
    check: "flock",
    message:
      "flock: neither flock nor busybox's flock applet is on PATH (the instance lock needs one): install util-linux",
  };
}

/** Who needs wpa_supplicant, and with which of its drivers. */
export interface SupplicantUsers {
  /** 802.1X on Ethernet ports: the `wired` driver. */
  wired: readonly string[];
  /** WiFi radios: the `nl80211` driver. */
  nl80211: readonly string[];
}

const DRIVER_USES = {
  wired: { use: "802.1X", config: "CONFIG_DRIVER_WIRED" },
  nl80211: { use: "WiFi", config: "CONFIG_DRIVER_NL80211" },
} as const;

/** wpa_supplicant with the drivers its users need, from `wpa_supplicant -h`. */
export function wpaSupplicantFinding(
  users: SupplicantUsers,
  help: CommandOutcome,
): Finding | undefined {
  const drivers = (["wired", "nl80211"] as const).filter((driver) => users[driver].length > 0);
  if (drivers.length === 0) return undefined;
  const error = (message: string): Finding => ({
    level: "error",
    check: "wpa_supplicant",
    message,
  });
  const who = drivers
    .map((driver) => `${list(users[driver])} ${useVerb(users[driver])} ${DRIVER_USES[driver].use}`)
    .join(", ");
  if (help.kind === "missing") {
    return error(`wpa_supplicant: ${who}, but it is not on PATH: install wpa_supplicant`);
  }
  const text = help.kind === "exited" ? help.stdout + help.stderr : "";
  const version = /wpa_supplicant v(\S+)/.exec(text)?.[1];
  if (version === undefined) {
    return error(`wpa_supplicant: ${who}, but "wpa_supplicant -h" fails (${firstLine(help)})`);
  }
  for (const driver of drivers) {
    if (new RegExp(`^\\s+${driver} = `, "m").test(text)) continue;
    const needs = users[driver];
    return error(
      `wpa_supplicant v${version} has no ${driver} driver (${DRIVER_USES[driver].config}), ${list(needs)} ${useVerb(needs)} ${DRIVER_USES[driver].use}`,
    );
  }
  return {
    level: "ok",
    check: "wpa_supplicant",
    message: `wpa_supplicant v${version} (${drivers.join(" and ")} driver${drivers.length > 1 ? "s" : ""}) for ${list([...users.wired, ...users.nl80211])}`,
  };
}

/** Certificates and keys the file names but nobody can read yet: 802.1X fails until they appear. */
export function fileFindings(problems: readonly ConfigProblem[]): Finding[] {
  return problems.map((problem) => ({
    level: "warning",
    check: "files",
    message: `${problem.path}: ${problem.message} (802.1X fails until it can be read)`,
  }));
}

/** What /etc/resolv.conf is, with paths made canonical (links followed, also dangling ones). */
export type SystemResolvConf =
  | { kind: "missing" }
  | { kind: "file"; canonical: string }
  | { kind: "link"; target: string; canonical: string };

export interface ResolvConfProbe {
  system: SystemResolvConf;
  /** The configuration's resolvConf, canonical. */
  configured: string;
  /** Both exist and are the same file (a hard link or a bind mount). */
  sameFile: boolean;
}

export const SYSTEM_RESOLV_CONF = "/etc/resolv.conf";

/** Whether programs will read the name servers statenet writes to `resolvConf`. */
export function resolvConfFinding(resolvConf: string, probe: ResolvConfProbe): Finding {
  const { system } = probe;
  if (probe.sameFile || (system.kind !== "missing" && system.canonical === probe.configured)) {
    return {
      level: "ok",
      check: "resolv.conf",
      message: `${SYSTEM_RESOLV_CONF} ${system.kind === "link" ? "links to" : "is"} ${resolvConf}`,
    };
  }
  const is =
    system.kind === "missing"
      ? "does not exist"
      : system.kind === "file"
        ? "is a file of its own"
        : `links to ${system.target}`;
  return {
    level: "warning",
    check: "resolv.conf",
    message: `name servers statenet writes go to ${resolvConf}, but ${SYSTEM_RESOLV_CONF} ${is}: ln -sf ${resolvConf} ${SYSTEM_RESOLV_CONF}`,
  };
}
