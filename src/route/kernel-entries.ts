import { isManagedTable, STATENET_PROTOCOL } from "./constants.js";
import type { DefaultRouteEntry, RouteEntry, RoutingTable, TableIndices } from "./types.js";

/** The fields statenet reads from `ip -4 -j rule show`. */
export interface IpRuleJson {
  priority?: number;
  src?: string;
  srclen?: number;
  table?: string;
  protocol?: string;
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

function isOursRule(rule: IpRuleJson): boolean {
  return rule.protocol === String(STATENET_PROTOCOL);
}

/**
 * The rules and routes statenet owns in the kernel: the ones carrying its
 * protocol number, in `main` and its tables 100..107. Everything else belongs
 * to someone else (the kernel, an administrator, another daemon) and is never
 * changed, with one exception decided by the route manager: a foreign default
 * route on an interface statenet manages (see `foreignDefaultRoutes`).
 */
export function managedEntriesFromKernel(
  rules: readonly IpRuleJson[],
  routes: readonly IpRouteJson[],
): RouteEntry[] {
  const entries: RouteEntry[] = [];
  for (const rule of rules) {
    const table = Number(rule.table);
    if (!isOursRule(rule) || !isManagedTable(table) || !rule.src || rule.src === "all") continue;
    const from =
      rule.srclen === undefined || rule.srclen === 32 ? rule.src : `${rule.src}/${rule.srclen}`;
    entries.push({ kind: "rule", from, table, priority: rule.priority ?? 0 });
  }
  for (const route of routes) {
    const table = tableOf(route);
    if (table === undefined || !isOurs(route)) continue;
    if (table !== "main" && !isManagedTable(table)) continue;
    const entry = routeEntry(route, table);
    if (entry) entries.push(entry);
  }
  return entries;
}

/**
 * Default routes in `main` that statenet did not add. One on an interface
 * statenet manages is stale (left by an earlier DHCP client or by hand) and
 * goes; one on any other interface stays, however it ranks.
 */
export function foreignDefaultRoutes(routes: readonly IpRouteJson[]): DefaultRouteEntry[] {
  const defaults: DefaultRouteEntry[] = [];
  for (const route of routes) {
    if (isOurs(route) || tableOf(route) !== "main") continue;
    const entry = routeEntry(route, "main");
    if (entry?.kind === "default_route") defaults.push(entry);
  }
  return defaults;
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
