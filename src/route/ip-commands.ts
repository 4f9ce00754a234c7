import { assertInterfaceName } from "../linux/interface-name.js";
import { STATENET_PROTOCOL } from "./constants.js";
import type { RouteChange, RouteEntry } from "./types.js";

// Entries are rendered into `ip -batch` lines, where a stray space or newline
// would split one command into several: every word is checked first.
const WORD = /^[A-Za-z0-9._:/@-]+$/;

function device(ifname: string): string {
  assertInterfaceName(ifname);
  return ifname;
}

function word(value: string | number): string {
  const text = String(value);
  if (!WORD.test(text)) throw new TypeError(`unsafe word in ip command: ${JSON.stringify(text)}`);
  return text;
}

/** The entry's arguments after `rule <verb>` / `route <verb>`, without the protocol tag. */
function selector(entry: RouteEntry): string {
  switch (entry.kind) {
    case "rule":
      return `from ${word(entry.from)} lookup ${word(entry.table)} pref ${word(entry.priority)}`;
    case "subnet_route": {
      const source = entry.source ? ` src ${word(entry.source)}` : "";
      return `${word(entry.network)} dev ${device(entry.ifname)}${source} scope link metric ${word(entry.metric)} table ${word(entry.table)}`;
    }
    case "default_route": {
      const via = entry.gateway ? ` via ${word(entry.gateway)}` : "";
      return `default${via} dev ${device(entry.ifname)} metric ${word(entry.metric)} table ${word(entry.table)}`;
    }
  }
}

/** A stable identity: two entries are the same rule or route exactly when these are equal. */
export function entryId(entry: RouteEntry): string {
  return `${entry.kind === "rule" ? "rule" : "route"} ${selector(entry)}`;
}

/**
 * What the kernel treats as the same route (table, destination, metric): adding
 * a second route with this key fails, so a changed route is replaced instead.
 * Rules have no such key.
 */
export function kernelKey(entry: RouteEntry): string | undefined {
  switch (entry.kind) {
    case "rule":
      return undefined;
    case "subnet_route":
      return `${entry.table} ${entry.network} ${entry.metric}`;
    case "default_route":
      return `${entry.table} default ${entry.metric}`;
  }
}

/** One `ip -batch` line. Added entries carry statenet's protocol number. */
export function changeCommand({ op, entry }: RouteChange): string {
  if (entry.kind === "rule") {
    const tag = op === "del" ? "" : ` protocol ${STATENET_PROTOCOL}`;
    return `rule ${op === "del" ? "del" : "add"} ${selector(entry)}${tag}`;
  }
  const tag = op === "del" ? "" : ` proto ${STATENET_PROTOCOL}`;
  return `route ${op} ${selector(entry)}${tag}`;
}
