import { changeCommand } from "../route/ip-commands.js";
import { foreignDefaultRoutes, managedEntriesFromKernel } from "../route/kernel-entries.js";
import { parseIpRoutes, parseIpRules } from "../route/kernel-json.js";
import type { KernelRoutes, RouteChange } from "../route/types.js";
import { type BatchFailure, IpBatchError, type IpRunner } from "./ip.js";

/** The IPv4 rules and routes in the kernel that statenet owns, and others' default routes. */
export async function readKernelRoutes(ip: IpRunner, signal?: AbortSignal): Promise<KernelRoutes> {
  const [rules, routes] = await Promise.all([
    ip.json<unknown>(["-4", "rule", "show"], signal).then(parseIpRules),
    ip.json<unknown>(["-4", "route", "show", "table", "all"], signal).then(parseIpRoutes),
  ]);
  return { owned: managedEntriesFromKernel(rules, routes), foreign: foreignDefaultRoutes(routes) };
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
