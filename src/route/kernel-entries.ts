import { isManagedTable, STATENET_PROTOCOL } from "./constants.js";
import type { RouteEntry, RoutingTable, TableIndices } from "./types.js";

/** The fields statenet reads from `ip -4 -j rule show`. */
export interface IpRuleJson {
  priority?: number;
  src?: string;
  srclen?: number;
  table?: string;
}

/** The fields statenet reads from `ip -4 -j route show table all`. */
export interface IpRouteJson {
  type?: string;
  dst?: string;
  gateway?: string;
  dev?: string;
  table?: string;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
  metric?: number;
}

function tableOf(route: IpRouteJson): RoutingTable | undefined {
  if (route.table === undefined || route.table === "main") return "main";
  const table = Number(route.table);
  return Number.isInteger(table) ? table : undefined;
}

function isOurs(route: IpRouteJson): boolean {
  return route.protocol === String(STATENET_PROTOCOL);
}

function routeEntry(route: IpRouteJson, table: RoutingTable): RouteEntry | undefined {
  if ((route.type ?? "unicast") !== "unicast" || !route.dev || !route.dst) return undefined;
  const metric = route.metric ?? 0;
  if (route.dst === "default" || route.dst === "0.0.0.0/0") {
    return { kind: "default_route", ifname: route.dev, gateway: route.gateway, metric, table };
  }
  if (route.gateway) return undefined;
  const network = route.dst.includes("/") ? route.dst : `${route.dst}/32`;
  return { kind: "subnet_route", ifname: route.dev, network, source: route.prefsrc, metric, table };
}

/**
 * The rules and routes statenet owns in the kernel: rules into tables 100..107,
 * every route in those tables, its own (protocol-tagged) routes in `main`, and
 * every default route in `main` (statenet decides the default route; one left
 * by an earlier daemon or DHCP client is stale).
 */
export function managedEntriesFromKernel(
  rules: readonly IpRuleJson[],
  routes: readonly IpRouteJson[],
): RouteEntry[] {
  const entries: RouteEntry[] = [];
  for (const rule of rules) {
    const table = Number(rule.table);
    if (!isManagedTable(table) || !rule.src || rule.src === "all") continue;
    const from =
      rule.srclen === undefined || rule.srclen === 32 ? rule.src : `${rule.src}/${rule.srclen}`;
    entries.push({ kind: "rule", from, table, priority: rule.priority ?? 0 });
  }
  for (const route of routes) {
    const table = tableOf(route);
    if (table === undefined) continue;
    const managed =
      table === "main" ? isOurs(route) || route.dst === "default" : isManagedTable(table);
    if (!managed) continue;
    const entry = routeEntry(route, table);
    if (entry) entries.push(entry);
  }
  return entries;
}

/**
 * Adds the tables that kernel routes show interfaces already using, where that
 * table and interface are still free, so a restarted manager keeps each
 * interface in the table it had.
 */
export function adoptTables(tables: TableIndices, entries: readonly RouteEntry[]): TableIndices {
  const adopted: Record<string, number> = { ...tables };
  const used = new Set(Object.values(adopted));
  for (const entry of entries) {
    if (entry.kind === "rule" || entry.table === "main") continue;
    if (adopted[entry.ifname] !== undefined || used.has(entry.table)) continue;
    adopted[entry.ifname] = entry.table;
    used.add(entry.table);
  }
  return adopted;
}
