import { readdir, readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type { Lab } from "../lab/namespace-lab.js";
import { isManagedTable, STATENET_PROTOCOL } from "../src/route/constants.js";

/**
 * What the soak checks, read from outside the daemon the way a person on the
 * device would: `ip`, /proc and the daemon's pid records.
 */

export class InvariantBroken extends Error {
  constructor(
    readonly invariant: string,
    message: string,
  ) {
    super(`${invariant}: ${message}`);
    this.name = "InvariantBroken";
  }
}

/** Polls `condition` until it holds; the time it took, or InvariantBroken after `boundMs`. */
export async function within(
  invariant: string,
  boundMs: number,
  condition: () => Promise<boolean> | boolean,
  describe: () => Promise<string> | string = () => "",
): Promise<number> {
  const since = performance.now();
  for (;;) {
    if (await condition()) return performance.now() - since;
    if (performance.now() - since > boundMs) {
      throw new InvariantBroken(invariant, `not within ${boundMs} ms ${await describe()}`);
    }
    await sleep(100);
  }
}

interface RuleJson {
  src?: string;
  table?: string;
  protocol?: string;
}
interface RouteJson {
  dst?: string;
  dev?: string;
  table?: string;
  protocol?: string;
}
interface AddressJson {
  addr_info?: Array<{ family?: string; local?: string }>;
}

/**
 * statenet's entries in the kernel hang together: each of its rules points
 * from an address some interface has into one of its tables, each table it
 * fills serves one interface, and no interface has two of its default routes
 * in `main`. A daemon that died or stopped must not leave a rule for an
 * address that is gone (traffic from a reused address would go astray).
 */
export async function kernelProblems(lab: Lab): Promise<string[]> {
  const ip = lab.ip();
  const [rules, routes, links] = await Promise.all([
    ip.json<RuleJson[]>(["-4", "rule", "show"]),
    ip.json<RouteJson[]>(["-4", "route", "show", "table", "all"]),
    ip.json<AddressJson[]>(["-4", "addr", "show"]),
  ]);
  const ours = String(STATENET_PROTOCOL);
  const addresses = new Set(
    links.flatMap((link) => (link.addr_info ?? []).map((info) => info.local ?? "")),
  );
  const problems: string[] = [];
  const tablesWithRules = new Set<string>();
  for (const rule of rules.filter((candidate) => candidate.protocol === ours)) {
    tablesWithRules.add(rule.table ?? "");
    if (!addresses.has(rule.src ?? "")) {
      problems.push(`rule from ${rule.src} lookup ${rule.table} for an address no interface has`);
    }
  }
  const devsByTable = new Map<string, Set<string>>();
  const mainDefaults = new Map<string, number>();
  for (const route of routes.filter((candidate) => candidate.protocol === ours)) {
    const table = route.table ?? "main";
    if (table === "main") {
      if (route.dst === "default") {
        mainDefaults.set(route.dev ?? "", (mainDefaults.get(route.dev ?? "") ?? 0) + 1);
      }
      continue;
    }
    if (!isManagedTable(Number(table))) problems.push(`route in table ${table}, not statenet's`);
    const devs = devsByTable.get(table) ?? new Set<string>();
    devs.add(route.dev ?? "");
    devsByTable.set(table, devs);
  }
  for (const [table, devs] of devsByTable) {
    if (devs.size > 1) problems.push(`table ${table} serves ${[...devs].join(" and ")}`);
    if (!tablesWithRules.has(table)) problems.push(`table ${table} has routes but no rule`);
  }
  for (const [dev, count] of mainDefaults) {
    if (count > 1) problems.push(`${count} default routes of statenet's on ${dev} in main`);
  }
  return problems;
}

/** The pids of the daemons a run recorded under `tmpDir/pids`, by file name. */
export async function recordedDaemons(pidDir: string): Promise<Map<string, number>> {
  const pids = new Map<string, number>();
  let files: string[] = [];
  try {
    files = await readdir(pidDir);
  } catch {
    return pids;
  }
  for (const file of files.filter((name) => name.endsWith(".pid.json"))) {
    try {
      const { pid } = JSON.parse(await readFile(`${pidDir}/${file}`, "utf8")) as { pid: number };
      if (Number.isInteger(pid)) pids.set(file.replace(/\.pid\.json$/, ""), pid);
    } catch {
      // Being rewritten right now: the next look finds it.
    }
  }
  return pids;
}
