import { changeCommand } from "../route/ip-commands.js";
import {
  type IpRouteJson,
  type IpRuleJson,
  managedEntriesFromKernel,
} from "../route/kernel-entries.js";
import type { RouteChange, RouteEntry } from "../route/types.js";
import type { IpRunner } from "./ip.js";

/** The IPv4 rules and routes in the kernel that statenet manages. */
export async function readManagedEntries(
  ip: IpRunner,
  signal?: AbortSignal,
): Promise<RouteEntry[]> {
  const [rules, routes] = await Promise.all([
    ip.json<IpRuleJson[]>(["-4", "rule", "show"], signal),
    ip.json<IpRouteJson[]>(["-4", "route", "show", "table", "all"], signal),
  ]);
  return managedEntriesFromKernel(rules, routes);
}

/** Applies a plan in one `ip -force -batch -` run. */
export async function applyRouteChanges(
  ip: IpRunner,
  changes: readonly RouteChange[],
  signal?: AbortSignal,
): Promise<void> {
  await ip.batch(changes.map(changeCommand), signal);
}
