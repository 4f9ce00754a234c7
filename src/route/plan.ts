import { compareEntries } from "./calculator.js";
import { entryId, kernelKey } from "./ip-commands.js";
import type { RouteChange, RouteEntry } from "./types.js";

/**
 * The changes that turn `applied` into `desired`: every addition before any
 * deletion (make before break, so a replacement default route exists before
 * the old one goes), additions in dependency order, deletions in reverse.
 */
export function planChanges(
  applied: readonly RouteEntry[],
  desired: readonly RouteEntry[],
): RouteChange[] {
  const appliedIds = new Set(applied.map(entryId));
  const desiredIds = new Set(desired.map(entryId));
  const additions = desired.filter((entry) => !appliedIds.has(entryId(entry)));
  const removals = applied.filter((entry) => !desiredIds.has(entryId(entry)));

  const removalsByKey = new Map<string, RouteEntry>();
  for (const entry of removals) {
    const key = kernelKey(entry);
    if (key !== undefined) removalsByKey.set(key, entry);
  }
  const replaced = new Set<RouteEntry>();
  const changes: RouteChange[] = [...additions].sort(compareEntries).map((entry) => {
    const key = kernelKey(entry);
    const old = key === undefined ? undefined : removalsByKey.get(key);
    if (old && !replaced.has(old)) {
      replaced.add(old);
      return { op: "replace", entry };
    }
    return { op: "add", entry };
  });
  const deletions = removals
    .filter((entry) => !replaced.has(entry))
    .sort((a, b) => compareEntries(b, a))
    .map((entry): RouteChange => ({ op: "del", entry }));
  return [...changes, ...deletions];
}
