import { FIRST_TABLE, MAX_TABLES, RULE_PRIORITY } from "./constants.js";
import { defaultMetric } from "./default-metric.js";
import { networkOf } from "./ipv4.js";
import type {
  InterfaceInfo,
  MetricFunction,
  RouteEntry,
  RoutingTable,
  TableIndices,
} from "./types.js";

export interface RouteCalculation {
  /** The table of every known interface; interfaces no longer known lose theirs. */
  tables: TableIndices;
  /** Every rule and route, in a stable order (see `compareEntries`). */
  entries: RouteEntry[];
  /** Interfaces left without routes that should have had them, and why. */
  skipped: SkippedInterface[];
}

export interface SkippedInterface {
  ifname: string;
  reason: "no free routing table" | "invalid metric";
}

/** Keeps the tables of interfaces still known and gives the rest the lowest free ones. */
export function allocateTables(
  ifnames: readonly string[],
  previous: TableIndices,
): { tables: Record<string, number>; unplaced: string[] } {
  const tables: Record<string, number> = {};
  for (const ifname of ifnames) {
    const table = previous[ifname];
    if (table !== undefined) tables[ifname] = table;
  }
  const used = new Set(Object.values(tables));
  const unplaced: string[] = [];
  for (const ifname of ifnames) {
    if (tables[ifname] !== undefined) continue;
    let table = FIRST_TABLE;
    while (used.has(table) && table < FIRST_TABLE + MAX_TABLES) table += 1;
    if (table >= FIRST_TABLE + MAX_TABLES) {
      unplaced.push(ifname);
      continue;
    }
    tables[ifname] = table;
    used.add(table);
  }
  return { tables, unplaced };
}

function interfaceEntries(
  ifname: string,
  info: InterfaceInfo,
  table: number,
  metric: number,
): RouteEntry[] {
  // Replies to traffic that arrived on an interface must leave through it, even
  // when another interface holds the default route: hence a table per interface.
  const entries: RouteEntry[] = info.addresses.map(({ address }) => ({
    kind: "rule",
    from: address,
    table,
    priority: RULE_PRIORITY,
  }));
  const primary = info.addresses[0];
  if (!primary) return entries;
  const network = networkOf(primary.address, primary.prefixLength);
  for (const [routeTable, routeMetric] of [
    [table, 0],
    ["main", metric],
  ] as const) {
    entries.push({
      kind: "subnet_route",
      ifname,
      network,
      source: primary.address,
      metric: routeMetric,
      table: routeTable,
    });
    if (info.gateway) {
      entries.push({
        kind: "default_route",
        ifname,
        gateway: info.gateway,
        metric: routeMetric,
        table: routeTable,
      });
    }
  }
  return entries;
}

function isValidMetric(metric: number): boolean {
  return Number.isInteger(metric) && metric >= 0 && metric <= 0xffffffff;
}

/**
 * Linux refuses a second default route with the same metric ("File exists"),
 * and names like eth0/eth10 or enp0s3/enp1s3 weigh the same: a tie moves the
 * later interface (by metric, then name) one up, keeping the order.
 */
export function distinctMetrics(metrics: ReadonlyMap<string, number>): Map<string, number> {
  const ordered = [...metrics].sort(([a, x], [b, y]) => x - y || a.localeCompare(b));
  const distinct = new Map<string, number>();
  let previous = -1;
  for (const [ifname, metric] of ordered) {
    const unique = Math.max(metric, previous + 1);
    distinct.set(ifname, unique);
    previous = unique;
  }
  return distinct;
}

const KIND_RANK = { rule: 0, subnet_route: 1, default_route: 2 } as const;

function tableRank(table: RoutingTable): number {
  return table === "main" ? Number.MAX_SAFE_INTEGER : table;
}

function entryWords(entry: RouteEntry): string {
  switch (entry.kind) {
    case "rule":
      return entry.from;
    case "subnet_route":
      return `${entry.ifname} ${entry.network} ${entry.source ?? ""}`;
    case "default_route":
      return `${entry.ifname} ${entry.gateway ?? ""}`;
  }
}

/**
 * Rules first, then subnet routes, then default routes (a gateway needs its
 * subnet route before Linux accepts a route through it); within a kind by
 * table, then metric, so `main` reads in priority order.
 */
export function compareEntries(a: RouteEntry, b: RouteEntry): number {
  const byKind = KIND_RANK[a.kind] - KIND_RANK[b.kind];
  if (byKind !== 0) return byKind;
  const byTable = tableRank(a.table) - tableRank(b.table);
  if (byTable !== 0) return byTable;
  const byMetric = (a.kind === "rule" ? 0 : a.metric) - (b.kind === "rule" ? 0 : b.metric);
  if (byMetric !== 0) return byMetric;
  return entryWords(a).localeCompare(entryWords(b));
}

/** The full set of rules and routes for the given interfaces, VintageNet's scheme. */
export function computeRoutes(
  infos: Readonly<Record<string, InterfaceInfo>>,
  previousTables: TableIndices,
  metricOf: MetricFunction = defaultMetric,
): RouteCalculation {
  const ifnames = Object.keys(infos).sort();
  const { tables, unplaced } = allocateTables(ifnames, previousTables);
  const skipped: SkippedInterface[] = unplaced
    .filter((ifname) => infos[ifname]?.status !== "disconnected")
    .map((ifname) => ({ ifname, reason: "no free routing table" }));
  const metrics = new Map<string, number>();
  for (const ifname of ifnames) {
    const info = infos[ifname] as InterfaceInfo;
    if (tables[ifname] === undefined || info.status === "disconnected") continue;
    const metric = metricOf(ifname, info);
    if (metric === "disabled") continue;
    if (!isValidMetric(metric)) {
      skipped.push({ ifname, reason: "invalid metric" });
      continue;
    }
    metrics.set(ifname, metric);
  }
  const entries: RouteEntry[] = [];
  for (const [ifname, metric] of distinctMetrics(metrics)) {
    entries.push(
      ...interfaceEntries(ifname, infos[ifname] as InterfaceInfo, tables[ifname] as number, metric),
    );
  }
  entries.sort(compareEntries);
  return { tables, entries, skipped };
}

/** Interfaces with a default route in `main`, best first. */
export function interfacesByPriority(entries: readonly RouteEntry[]): string[] {
  const defaults = entries
    .filter((entry) => entry.kind === "default_route" && entry.table === "main")
    .sort(compareEntries) as Array<{ ifname: string }>;
  return [...new Set(defaults.map((entry) => entry.ifname))];
}
