import { KernelDumpError } from "../linux/link-state.js";
import { isIpv4Address, isPrefixLength } from "./ipv4.js";
import type { IpRouteJson, IpRuleJson } from "./kernel-entries.js";

/**
 * The shape check of `ip -4 -j rule show` and `ip -4 -j route show table all`
 * output before statenet reads it. What it reads ends up in `ip -batch` lines
 * (a stale entry is deleted by its fields), so a field of another type or an
 * address that is not a dotted quad means the entry is not iproute2's: it is
 * skipped, like an odd link in a link dump, rather than thrown on. Output
 * that is not an array at all is a KernelDumpError.
 */

type Entry = Record<string, unknown>;

const isEntry = (value: unknown): value is Entry =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const isCount = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;

/** iproute2 prints a table by name, or by number in decimal. */
const isTable = (value: unknown) => typeof value === "string" && !/^\d.*\D/.test(value);

/** `192.0.2.0/24` or `192.0.2.1` (a host route is printed without its /32). */
function isPrefix(value: string): boolean {
  const [address = "", length, ...rest] = value.split("/");
  if (rest.length > 0 || !isIpv4Address(address)) return false;
  return length === undefined || (/^\d{1,2}$/.test(length) && isPrefixLength(Number(length)));
}

/** Each field statenet reads: absent, or of the type and form iproute2 prints. */
function fieldsValid(entry: Entry, checks: Readonly<Record<string, (value: unknown) => boolean>>) {
  return Object.entries(checks).every(
    ([field, valid]) => entry[field] === undefined || valid(entry[field]),
  );
}

const string = (value: unknown) => typeof value === "string";
const address = (value: unknown) => typeof value === "string" && isIpv4Address(value);

const RULE_FIELDS = {
  priority: isCount,
  src: (value: unknown) => value === "all" || address(value),
  srclen: (value: unknown) => isCount(value) && isPrefixLength(value as number),
  table: isTable,
  protocol: string,
};

const ROUTE_FIELDS = {
  type: string,
  dst: (value: unknown) => value === "default" || (typeof value === "string" && isPrefix(value)),
  gateway: address,
  dev: (value: unknown) => typeof value === "string" && value !== "",
  table: isTable,
  protocol: string,
  scope: string,
  prefsrc: address,
  metric: isCount,
};

function entries(dump: unknown, command: string, checks: typeof RULE_FIELDS | typeof ROUTE_FIELDS) {
  if (!Array.isArray(dump)) throw new KernelDumpError(command, "expected a JSON array");
  return dump.filter((entry): entry is Entry => isEntry(entry) && fieldsValid(entry, checks));
}

export function parseIpRules(dump: unknown): IpRuleJson[] {
  return entries(dump, "ip -4 -j rule show", RULE_FIELDS) as IpRuleJson[];
}

export function parseIpRoutes(dump: unknown): IpRouteJson[] {
  return entries(dump, "ip -4 -j route show table all", ROUTE_FIELDS) as IpRouteJson[];
}
