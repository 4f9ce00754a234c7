import { isDnsName } from "../config/dns-name.js";
import { isHostAddress, isIpv4Address } from "../route/ipv4.js";
import type { DhcpLease } from "./lease-event.js";

/** What a lease gave that statenet publishes (in `interface/<if>/dhcp_options`) but does not apply. */
export type PublishedOptions = Pick<
  DhcpLease,
  | "broadcast"
  | "search"
  | "ntpServers"
  | "mtu"
  | "renewalSeconds"
  | "rebindingSeconds"
  | "hostname"
  | "wpad"
  | "requested"
  | "ignored"
>;

/** udhcpc leaves variables for options the server did not send empty or unset. */
const sent = (value: string | undefined) => (value === "" ? undefined : value);

const words = (value: string) => value.split(" ").filter((word) => word !== "");
const withoutRootDot = (name: string) => (name.endsWith(".") ? name.slice(0, -1) : name);

/** udhcpc prints an option it has no type for as the option's bytes in hex; a time is 4 of them. */
function hexSeconds(value: string): number | undefined {
  return /^[0-9a-fA-F]{8}$/.test(value) ? Number.parseInt(value, 16) : undefined;
}

/**
 * Options statenet only publishes, by udhcpc variable: each parser gives the
 * lease's field, or undefined for a malformed value.
 */
const PUBLISHED_OPTIONS: Readonly<Record<string, (value: string) => PublishedOptions | undefined>> =
  {
    broadcast: (value) => (isIpv4Address(value) ? { broadcast: value } : undefined),
    search: (value) => {
      const search = words(value).map(withoutRootDot);
      return search.length > 0 && search.every(isDnsName) ? { search } : undefined;
    },
    ntpsrv: (value) => {
      const ntpServers = words(value);
      return ntpServers.length > 0 && ntpServers.every(isHostAddress) ? { ntpServers } : undefined;
    },
    mtu: (value) => {
      const mtu = /^\d{2,5}$/.test(value) ? Number(value) : Number.NaN;
      // RFC 2132: at least 68; the option is 16 bits.
      return mtu >= 68 && mtu <= 0xffff ? { mtu } : undefined;
    },
    opt58: (value) => {
      const renewalSeconds = hexSeconds(value);
      return renewalSeconds === undefined ? undefined : { renewalSeconds };
    },
    opt59: (value) => {
      const rebindingSeconds = hexSeconds(value);
      return rebindingSeconds === undefined ? undefined : { rebindingSeconds };
    },
    // udhcpc already turns a name a script could trip over into "bad".
    hostname: (value) =>
      /^(?!-)[A-Za-z0-9._-]{1,255}$/.test(value) ? { hostname: value } : undefined,
    wpad: (value) => (/^[\x21-\x7e]{1,255}$/.test(value) ? { wpad: value } : undefined),
  };

/** udhcpc variables that have a field of their own: not repeated among `requested`. */
const PARSED_VARIABLES = new Set([
  "interface",
  "ip",
  "mask",
  "subnet",
  "router",
  "dns",
  "domain",
  "lease",
  "serverid",
  ...Object.keys(PUBLISHED_OPTIONS),
]);

/**
 * An option passed on as udhcpc gave it: hex for `opt<code>`, printable
 * ASCII for the rest (it ends up in properties that terminals show). A DHCP
 * packet holds a few hundred bytes of options; longer is not udhcpc talking.
 */
function isRawValue(variable: string, value: string): boolean {
  return /^opt\d{1,3}$/.test(variable)
    ? /^(?:[0-9a-fA-F]{2}){1,1024}$/.test(value)
    : /^[\x20-\x7e]{1,2048}$/.test(value);
}

/**
 * The options of a udhcpc report that statenet only publishes, parsed; a
 * malformed one is left out and named in `ignored`, the lease stands.
 * `requested`: the variables of the options asked for, passed on as given
 * unless they have a field of their own.
 */
export function leaseOptions(
  report: Readonly<Record<string, string>>,
  requested: readonly string[],
): PublishedOptions {
  const options: PublishedOptions = {};
  const ignored: string[] = [];
  const own = (name: string) => sent(Object.hasOwn(report, name) ? report[name] : undefined);
  for (const [variable, parse] of Object.entries(PUBLISHED_OPTIONS)) {
    const value = own(variable);
    if (value === undefined) continue;
    const field = parse(value);
    if (field) Object.assign(options, field);
    else ignored.push(variable);
  }
  const raw: Record<string, string> = {};
  for (const variable of new Set(requested)) {
    const value = own(variable);
    if (PARSED_VARIABLES.has(variable) || value === undefined) continue;
    if (isRawValue(variable, value)) raw[variable] = value;
    else ignored.push(variable);
  }
  if (Object.keys(raw).length > 0) options.requested = raw;
  if (ignored.length > 0) options.ignored = ignored;
  return options;
}
