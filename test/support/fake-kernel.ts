import { entryId, kernelKey } from "../../src/route/ip-commands.js";
import type { RouteChange, RouteEntry } from "../../src/route/types.js";

/**
 * The kernel's rule and route bookkeeping in memory, with its refusals: adding
 * what exists (same identity, or for routes the same table/destination/metric)
 * fails, deleting what does not exist fails.
 */
export class FakeKernel {
  readonly entries = new Map<string, RouteEntry>();

  constructor(initial: readonly RouteEntry[] = []) {
    for (const entry of initial) this.entries.set(entryId(entry), entry);
  }

  list(): RouteEntry[] {
    return [...this.entries.values()];
  }

  ids(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** Applies every change it can (like `ip -force -batch`); returns the 1-based lines that failed. */
  apply(changes: readonly RouteChange[]): number[] {
    const failed: number[] = [];
    changes.forEach((change, index) => {
      if (!this.#applyOne(change)) failed.push(index + 1);
    });
    return failed;
  }

  #sameKernelKey(entry: RouteEntry): string | undefined {
    const key = kernelKey(entry);
    if (key === undefined) return undefined;
    return [...this.entries.entries()].find(([, other]) => kernelKey(other) === key)?.[0];
  }

  #applyOne({ op, entry }: RouteChange): boolean {
    const id = entryId(entry);
    switch (op) {
      case "add":
        if (this.entries.has(id) || this.#sameKernelKey(entry) !== undefined) return false;
        this.entries.set(id, entry);
        return true;
      case "replace": {
        const existing = this.#sameKernelKey(entry);
        if (existing !== undefined) this.entries.delete(existing);
        this.entries.set(id, entry);
        return true;
      }
      case "del":
        return this.entries.delete(id);
    }
  }
}
