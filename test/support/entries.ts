import type { RouteEntry, RoutingTable } from "../../src/route/types.js";

/** Short builders for expected route entries, written out literally in tests. */

export const rule = (from: string, table: number): RouteEntry => ({
  kind: "rule",
  from,
  table,
  priority: 100,
});

export const subnet = (
  ifname: string,
  network: string,
  source: string,
  table: RoutingTable,
  metric: number,
): RouteEntry => ({ kind: "subnet_route", ifname, network, source, metric, table });

export const defaultVia = (
  ifname: string,
  gateway: string,
  table: RoutingTable,
  metric: number,
): RouteEntry => ({ kind: "default_route", ifname, gateway, metric, table });
