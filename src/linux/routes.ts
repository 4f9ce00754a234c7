import { changeCommand } from "../route/ip-commands.js";
import {
  type IpRouteJson,
  type IpRuleJson,
  managedEntriesFromKernel,
} from "../route/kernel-entries.js";
import type { RouteChange, RouteEntry } from "../route/types.js";
import { type BatchFailure, IpBatchError, type IpRunner } from "./ip.js";

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

const ALREADY_GONE = /No such process|No such file or directory|Cannot find device/;

/**
 * Deleting what the kernel already dropped (an address or link went away and
 * took its routes along) reached the desired state: not a failure.
 */
export function isAlreadyGone(failure: BatchFailure): boolean {
  return /^(route|rule) del /.test(failure.command) && ALREADY_GONE.test(failure.message);
}

/** Applies a plan in one `ip -force -batch -` run. */
export async function applyRouteChanges(
  ip: IpRunner,
  changes: readonly RouteChange[],
  signal?: AbortSignal,
): Promise<void> {
  try {
    await ip.batch(changes.map(changeCommand), signal);
  } catch (error) {
    if (error instanceof IpBatchError && error.failures.every(isAlreadyGone)) return;
    throw error;
  }
}
