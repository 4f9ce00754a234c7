import { describeConfigSource } from "../config/config-source.js";
import type { RouteError } from "../linux/route-manager.js";
import type { InterfaceInfo, NetworkManagerInfo } from "../network-manager.js";
import type { NameServer } from "../resolver/resolv-conf.js";
import { terminalText } from "../terminal-text.js";
import { type Colour, NO_COLOUR, statusColour, visibleLength, withoutEscapes } from "./colour.js";

/**
 * `statenet info` and `statenet status` for a person, and their JSON: pure,
 * from the daemon's `info` (as it comes over the socket: JSON, so fields the
 * daemon left undefined are absent) and the time now. `info` is the long
 * page, every interface with what the daemon knows of it; `status` the one
 * screen: the network's status, then one row per configured interface.
 * Text that comes from elsewhere (names, reasons, configurations) goes
 * through terminalText.
 */

type Entry = Partial<InterfaceInfo>;

/** Lines of a labelled block: labels padded to one column. */
function labelled(rows: ReadonlyArray<readonly [string, string]>, indent = ""): string[] {
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${indent}${label.padEnd(width)}  ${value}`.trimEnd());
}

/** Rows of cells, columns padded to the widest cell (escapes not counted); the last column free. */
export function table(rows: ReadonlyArray<readonly string[]>): string[] {
  const columns = Math.max(0, ...rows.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, index) =>
    Math.max(...rows.map((row) => visibleLength(row[index] ?? ""))),
  );
  return rows.map((row) =>
    row
      .map((cell, index) =>
        index === row.length - 1
          ? cell
          : cell + " ".repeat((widths[index] ?? 0) - visibleLength(cell)),
      )
      .join("  ")
      .trimEnd(),
  );
}

const text = (value: unknown): string =>
  typeof value === "string" ? terminalText(value) : terminalText(JSON.stringify(value) ?? "-");

/** 850 ms, 12.3 s, 4 min 05 s, 3 h 02 min, 2 d 5 h: as VintageNet's info says "since". */
export function describeAge(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const seconds = Math.floor(ms / 1_000);
  const pad = (value: number) => String(value).padStart(2, "0");
  if (seconds < 3_600) return `${Math.floor(seconds / 60)} min ${pad(seconds % 60)} s`;
  if (seconds < 86_400) {
    return `${Math.floor(seconds / 3_600)} h ${pad(Math.floor(seconds / 60) % 60)} min`;
  }
  return `${Math.floor(seconds / 86_400)} d ${Math.floor(seconds / 3_600) % 24} h`;
}

/** Milliseconds from an ISO time to `now`; undefined for anything that is no time. */
function msSince(iso: unknown, now: Date): number | undefined {
  if (typeof iso !== "string") return undefined;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? undefined : now.getTime() - at;
}

function ipv4Addresses(entry: Entry): string[] {
  return (entry.addresses ?? []).flatMap((address) =>
    address.family === "inet" ? [`${address.address}/${address.prefixLength}`] : [],
  );
}

function allAddresses(entry: Entry): string[] {
  return (entry.addresses ?? []).map((address) => `${address.address}/${address.prefixLength}`);
}

/**
 * Why an interface is where it is: the connectivity checker's reason while
 * one runs, else what the kernel says is missing.
 */
export function connectionReason(entry: Entry): string | undefined {
  const reason = entry.connectivity?.reason;
  if (typeof reason === "string" && reason !== "") return reason;
  if (entry.present === false) return "interface absent";
  if (entry.lowerUp === false) return "no carrier";
  if (entry.type !== undefined && entry.type !== "null" && ipv4Addresses(entry).length === 0) {
    return "no IPv4 address";
  }
  return undefined;
}

function powerText(entry: Entry): string | undefined {
  if (!entry.power) return undefined;
  const { state, timeLeftMs, cycles } = entry.power;
  const left = typeof timeLeftMs === "number" ? ` (${describeAge(timeLeftMs)} left)` : "";
  const count = typeof cycles === "number" ? cycles : 0;
  return `${text(state ?? "-")}${left}, ${count} ${count === 1 ? "cycle" : "cycles"}`;
}

/** A route the kernel refused, as a row of `info`. */
function refusedRoute({ command, error }: RouteError, colour: Colour): [string, string] {
  return ["route refused", colour.bad(`${command ? `${text(command)}: ` : ""}${text(error)}`)];
}

/** One uplink in `statenet status`, as `--json` gives it. */
export interface UplinkStatus {
  ifname: string;
  type: string | null;
  state: string | null;
  connection: string | null;
  reason: string | null;
  address: string | null;
  gateway: string | null;
  metric: number | null;
  /** The connectivity checker's last check (ISO time), and how long before the answer. */
  last_check: string | null;
  last_check_age_ms: number | null;
  power: string | null;
}

export interface NetworkStatus {
  /** internet, lan or disconnected: the best of the interfaces. */
  connection: string;
  /** Interfaces with a default route, best first. */
  route_order: string[];
  uplinks: UplinkStatus[];
}

/** The summary: every interface something configures (a `null` one too: it says so). */
export function networkStatus(info: NetworkManagerInfo, now: Date): NetworkStatus {
  const uplinks = Object.entries(info.interfaces)
    .filter(([, entry]) => entry.type !== undefined && entry.type !== null)
    .map(([ifname, entry]): UplinkStatus => {
      const lastCheck = entry.connectivity?.lastCheck;
      const age = msSince(lastCheck, now);
      return {
        ifname,
        type: entry.type ?? null,
        state: entry.state ?? null,
        connection: entry.connection ?? null,
        reason: connectionReason(entry) ?? null,
        address: ipv4Addresses(entry)[0] ?? null,
        gateway: entry.defaultRoute?.gateway ?? null,
        metric: entry.defaultRoute?.metric ?? null,
        last_check: typeof lastCheck === "string" ? lastCheck : null,
        last_check_age_ms: age === undefined ? null : Math.max(0, age),
        power: entry.power ? (entry.power.state ?? "-") : null,
      };
    });
  return {
    connection: info.connection ?? "disconnected",
    route_order: [...(info.availableInterfaces ?? [])],
    uplinks,
  };
}

export function statusPage(
  status: NetworkStatus,
  colour: Colour = NO_COLOUR,
  width = Number.POSITIVE_INFINITY,
): string {
  const network = statusColour(colour, status.connection)(colour.bold(status.connection));
  const order = status.route_order.length > 0 ? status.route_order.join(" > ") : "(none)";
  const lines = [`network: ${network}   route order: ${text(order)}`];
  if (status.uplinks.length === 0) return [...lines, "", "no interface is configured"].join("\n");
  const header = [
    "IFNAME",
    "STATE",
    "CONNECTION",
    "ADDRESS",
    "GATEWAY",
    "METRIC",
    "CHECKED",
    "POWER",
  ].map(colour.bold);
  const checked = (uplink: UplinkStatus) =>
    uplink.last_check_age_ms === null ? "-" : `${describeAge(uplink.last_check_age_ms)} ago`;
  const power = (uplink: UplinkStatus) =>
    uplink.power === null ? "-" : statusColour(colour, uplink.power)(text(uplink.power));
  const firstColumns = (uplink: UplinkStatus, reason: string) => {
    const connection = uplink.connection ?? "-";
    return [
      text(uplink.ifname),
      statusColour(colour, uplink.state)(text(uplink.state ?? "-")),
      `${statusColour(colour, connection)(text(connection))}${reason}`,
      uplink.address ?? "-",
      uplink.gateway ?? "-",
      uplink.metric === null ? "-" : String(uplink.metric),
    ];
  };
  const wide = table([
    header,
    ...status.uplinks.map((uplink) => [
      ...firstColumns(uplink, uplink.reason ? ` (${text(uplink.reason)})` : ""),
      checked(uplink),
      power(uplink),
    ]),
  ]);
  if (Math.max(...wide.map(visibleLength)) <= width) return [...lines, "", ...wide].join("\n");
  // Wider than the terminal (a serial console's 80 columns): the reason, the last check
  // and the power state on a line of their own under the connection, rather than every
  // row wrapping.
  const [head = "", ...narrow] = table([
    header.slice(0, 6),
    ...status.uplinks.map((uplink) => firstColumns(uplink, "")),
  ]);
  const indent = " ".repeat(withoutEscapes(head).indexOf("CONNECTION"));
  const uplinkLines = narrow.flatMap((line, index) => {
    const uplink = status.uplinks[index] as UplinkStatus;
    const details = [
      uplink.reason ? text(uplink.reason) : undefined,
      uplink.last_check_age_ms === null ? undefined : `checked ${checked(uplink)}`,
      uplink.power === null ? undefined : `power ${power(uplink)}`,
    ].filter((detail) => detail !== undefined);
    return details.length > 0 ? [line, `${indent}${details.join(", ")}`] : [line];
  });
  return [...lines, "", head, ...uplinkLines].join("\n");
}

/**
 * A configuration as `key: value` lines, nested objects indented under their
 * key, lists of objects as `- ` items; secrets arrive masked (`***`).
 */
export function configLines(value: unknown, indent = ""): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (item === null || typeof item !== "object") return [`${indent}- ${text(item)}`];
      const [first = "", ...rest] = configLines(item, `${indent}  `);
      return [`${indent}- ${first.trimStart()}`, ...rest];
    });
  }
  if (value === null || typeof value !== "object") return [`${indent}${text(value)}`];
  return Object.entries(value).flatMap(([key, item]) => {
    const label = `${indent}${terminalText(key)}:`;
    if (item !== null && typeof item === "object") {
      const empty = Array.isArray(item) ? item.length === 0 : Object.keys(item).length === 0;
      if (empty) return [`${label} ${Array.isArray(item) ? "[]" : "{}"}`];
      const scalars = Array.isArray(item) && item.every((part) => typeof part !== "object");
      if (scalars) return [`${label} ${item.map(text).join(", ")}`];
      return [label, ...configLines(item, `${indent}  `)];
    }
    return [`${label} ${text(item)}`];
  });
}

function nameServersText(servers: readonly NameServer[] | undefined): string {
  if (!servers || servers.length === 0) return "(none)";
  return servers
    .map(
      ({ address, from }) =>
        `${text(address)}${from.length > 0 ? ` (${text(from.join(", "))})` : ""}`,
    )
    .join(", ");
}

function interfaceLines(
  ifname: string,
  entry: Entry,
  info: NetworkManagerInfo,
  now: Date,
  colour: Colour,
): string[] {
  const rows: Array<[string, string]> = [];
  rows.push(["type", text(entry.type ?? "not managed")]);
  if (entry.state !== undefined) {
    rows.push(["state", statusColour(colour, entry.state)(text(entry.state))]);
  }
  if (entry.connection !== undefined) {
    const reason = connectionReason(entry);
    const shown = statusColour(colour, entry.connection)(text(entry.connection));
    rows.push(["connection", `${shown}${reason ? ` (${text(reason)})` : ""}`]);
  }
  if (entry.present === false) rows.push(["present", "no"]);
  if (entry.lowerUp !== undefined) rows.push(["carrier", entry.lowerUp ? "yes" : "no"]);
  if (entry.macAddress !== undefined && entry.macAddress !== null) {
    rows.push(["mac address", text(entry.macAddress)]);
  }
  const addresses = allAddresses(entry);
  if (addresses.length > 0) rows.push(["addresses", addresses.join(", ")]);
  if (entry.defaultRoute) {
    const via = entry.defaultRoute.gateway ? text(entry.defaultRoute.gateway) : "(direct)";
    rows.push(["gateway", `${via}, metric ${entry.defaultRoute.metric}`]);
  }
  if (entry.lease) {
    const { address, leaseSeconds, expires } = entry.lease;
    const left = msSince(expires, now);
    const ends =
      typeof expires === "string" && left !== undefined
        ? `, ends ${text(expires)} (${left <= 0 ? `in ${describeAge(-left)}` : `${describeAge(left)} ago`})`
        : "";
    const length = typeof leaseSeconds === "number" ? ` for ${leaseSeconds} s` : "";
    rows.push(["DHCP lease", `${text(address ?? "-")}${length}${ends}`]);
  }
  if (entry.connectivity) {
    const age = msSince(entry.connectivity.lastCheck, now);
    const rtt =
      typeof entry.connectivity.rttMs === "number"
        ? `, round trip ${Math.round(entry.connectivity.rttMs)} ms`
        : "";
    rows.push(["last check", `${age === undefined ? "not yet" : `${describeAge(age)} ago`}${rtt}`]);
  }
  if (entry.eap !== undefined)
    rows.push(["802.1X", statusColour(colour, entry.eap)(text(entry.eap))]);
  const power = powerText(entry);
  if (power) rows.push(["power", power]);
  for (const refused of info.routeErrors ?? []) {
    if (refused.ifname === ifname) rows.push(refusedRoute(refused, colour));
  }
  if (entry.configSource) {
    rows.push([
      "config from",
      describeConfigSource(entry.configSource, entry.config !== undefined),
    ]);
  }
  const lines = [colour.bold(terminalText(ifname)), ...labelled(rows, "  ")];
  if (entry.config) lines.push("  config", ...configLines(entry.config, "    "));
  return lines;
}

export function infoPage(info: NetworkManagerInfo, now: Date, colour: Colour = NO_COLOUR): string {
  const connection = info.connection ?? "disconnected";
  const order = (info.availableInterfaces ?? []).join(" > ");
  const rows: Array<[string, string]> = [
    ["network", statusColour(colour, connection)(text(connection))],
    ["route order", text(order || "(none)")],
    ["name servers", nameServersText(info.nameServers)],
  ];
  for (const refused of info.routeErrors ?? []) {
    if (refused.ifname === undefined) rows.push(refusedRoute(refused, colour));
  }
  for (const { ifname, gateway, metric, outranks } of info.unmanagedDefaultRoutes ?? []) {
    const route = `default${gateway ? ` via ${gateway}` : ""} dev ${ifname} metric ${metric}`;
    const note = outranks ? " (outranks statenet's default route: traffic follows it)" : "";
    rows.push(["not managed", `${text(route)}${note ? colour.warn(note) : ""}`]);
  }
  const lines = labelled(rows);
  for (const [ifname, entry] of Object.entries(info.interfaces)) {
    lines.push("", ...interfaceLines(ifname, entry, info, now, colour));
  }
  return lines.join("\n");
}

/** `camelCase` as `snake_case`. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/**
 * Keys in snake_case all the way down, as the properties spell theirs;
 * `verbatim` keys' values are data whose keys are not ours to rename (an
 * interface's configuration reads as the file and `configure` take it), and
 * `byName` keys' values are maps by name (interfaces) whose keys stay.
 */
export function snakeKeys(
  value: unknown,
  verbatim: ReadonlySet<string> = new Set(["config"]),
  byName: ReadonlySet<string> = new Set(["interfaces"]),
): unknown {
  if (Array.isArray(value)) return value.map((item) => snakeKeys(item, verbatim, byName));
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => {
      if (verbatim.has(key)) return [key, item];
      if (byName.has(key) && item !== null && typeof item === "object") {
        return [
          key,
          Object.fromEntries(
            Object.entries(item).map(([name, inner]) => [name, snakeKeys(inner, verbatim, byName)]),
          ),
        ];
      }
      return [snakeCase(key), snakeKeys(item, verbatim, byName)];
    }),
  );
}
