import { isIP } from "node:net";
import { isDeepStrictEqual } from "node:util";
import { VIRTUAL_HW_PATH } from "../ifnames/rename-plan.js";

/**
 * What the kernel says about the network interfaces, read from the JSON of
 * `ip -j -d link show` and `ip -j addr show`, and how it maps onto the
 * `interface/<ifname>/...` properties. Pure: the kernel monitor feeds it dumps.
 */

export interface LinkAddress {
  family: "inet" | "inet6";
  address: string;
  prefixLength: number;
}

export interface LinkState {
  ifname: string;
  ifindex: number;
  /** IFF_UP: someone set the link up. */
  adminUp: boolean;
  /** IFF_LOWER_UP: the carrier ("cable present"), whatever the operstate string says. */
  lowerUp: boolean;
  /** Lower-case hardware address; null for links without one (ppp, tun, ip tunnels). */
  macAddress: string | null;
  /**
   * The parent device's full sysfs path (see hw-path.ts), `/devices/virtual`
   * for a link without one; `/devices/<parentbus>/<parentdev>` when sysfs
   * could not be read.
   */
  hwPath: string;
  /** Global and link scope addresses of both families, in the kernel's order. */
  addresses: LinkAddress[];
}

/** One interface whose state differs between two dumps; an absent link has `present: false`. */
export interface LinkChange {
  ifname: string;
  present: boolean;
  /** Null when the link is absent. A new ifindex under the same name is a different device. */
  ifindex: number | null;
  lowerUp: boolean;
  adminUp: boolean;
  addresses: LinkAddress[];
  macAddress: string | null;
  hwPath: string | null;
}

/** The dump itself is unusable (not a JSON array), as opposed to single odd entries, which are skipped. */
export class KernelDumpError extends Error {
  constructor(
    readonly dump: string,
    detail: string,
  ) {
    super(`${dump}: ${detail}`);
    this.name = "KernelDumpError";
  }
}

export { VIRTUAL_HW_PATH };

const HARDWARE_ADDRESS = /^[0-9a-f]{2}(:[0-9a-f]{2})+$/i;
const MAX_PREFIX = { inet: 32, inet6: 128 } as const;
/** What `isIP` answers for an address of each family. */
const IP_VERSION = { inet: 4, inet6: 6 } as const;
// Host scope addresses only ever talk to the machine itself; nothing routes by them.
const PUBLISHED_SCOPES = new Set(["global", "link"]);

type Entry = Record<string, unknown>;

function isEntry(value: unknown): value is Entry {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The kernel's ifindex is a positive 32-bit int: 1e300 is an integer to JavaScript, not to it. */
function isIfindex(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0 && value <= 2 ** 31 - 1;
}

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.every((item) => typeof item === "string") ? value : undefined;
}

function isFamily(value: unknown): value is LinkAddress["family"] {
  return value === "inet" || value === "inet6";
}

function parseAddress(entry: unknown): LinkAddress | undefined {
  if (!isEntry(entry)) return undefined;
  const { family, local, prefixlen, scope } = entry;
  if (!isFamily(family) || typeof local !== "string" || isIP(local) !== IP_VERSION[family]) {
    return undefined;
  }
  if (typeof prefixlen !== "number" || !Number.isInteger(prefixlen)) return undefined;
  if (prefixlen < 0 || prefixlen > MAX_PREFIX[family]) return undefined;
  if (typeof scope !== "string" || !PUBLISHED_SCOPES.has(scope)) return undefined;
  // Duplicate address detection found another owner: the kernel will never use it.
  if (entry.dadfailed === true) return undefined;
  return { family, address: local, prefixLength: prefixlen };
}

/**
 * Addresses by ifindex rather than by name: a rename between the two dumps
 * must not attach one link's addresses to another.
 */
function addressesByIfindex(dump: readonly unknown[]): Map<number, LinkAddress[]> {
  const byIndex = new Map<number, LinkAddress[]>();
  for (const entry of dump) {
    if (!isEntry(entry) || !isIfindex(entry.ifindex) || !Array.isArray(entry.addr_info)) continue;
    const addresses = entry.addr_info
      .map(parseAddress)
      .filter((address): address is LinkAddress => address !== undefined);
    byIndex.set(entry.ifindex, addresses);
  }
  return byIndex;
}

function hardwareAddress(entry: Entry): string | null {
  // Tunnels put an IP address in the same field; only a MAC-style value is a hardware address.
  const { address } = entry;
  return typeof address === "string" && HARDWARE_ADDRESS.test(address)
    ? address.toLowerCase()
    : null;
}

/**
 * The hardware path when sysfs cannot give the full one (hw-path.ts):
 * `ip -d` only names the parent device's bus and name (e.g. `pci` +
 * `0000:00:03.0`, `virtio` + `virtio2`), so it is
 * `/devices/<parentbus>/<parentdev>`, still one per device but shorter than
 * the path `ifnames` rules name.
 */
export function hardwarePath(entry: Readonly<Entry>): string {
  const { parentbus, parentdev } = entry;
  if (typeof parentbus !== "string" || typeof parentdev !== "string") return VIRTUAL_HW_PATH;
  if (parentbus === "" || parentdev === "") return VIRTUAL_HW_PATH;
  return `/devices/${parentbus}/${parentdev}`;
}

function parseLink(
  entry: unknown,
  addresses: Map<number, LinkAddress[]>,
  hwPaths: ReadonlyMap<number, string>,
): LinkState | undefined {
  if (!isEntry(entry)) return undefined;
  const { ifname, ifindex } = entry;
  const flags = stringList(entry.flags);
  if (typeof ifname !== "string" || ifname === "" || !isIfindex(ifindex) || !flags) {
    return undefined;
  }
  if (ifname === "lo" || flags.includes("LOOPBACK")) return undefined;
  return {
    ifname,
    ifindex,
    adminUp: flags.includes("UP"),
    lowerUp: flags.includes("LOWER_UP"),
    macAddress: hardwareAddress(entry),
    hwPath: hwPaths.get(ifindex) ?? hardwarePath(entry),
    // A link created between the two dumps has no address entry yet: the next event brings it.
    addresses: addresses.get(ifindex) ?? [],
  };
}

/**
 * Joins a link dump (`ip -j -d link show`) and an address dump (`ip -j addr
 * show`) into one state per interface, keyed by name in the kernel's order.
 * The loopback device is left out. Entries that do not look like the kernel's
 * are skipped rather than thrown on, so one odd link cannot blind the manager
 * to the others. `hwPaths`: the full hardware paths read from sysfs, by ifindex.
 */
export function parseLinkStates(
  links: unknown,
  addresses: unknown,
  hwPaths: ReadonlyMap<number, string> = new Map(),
): Map<string, LinkState> {
  if (!Array.isArray(links)) {
    throw new KernelDumpError("ip -j -d link show", "expected a JSON array of links");
  }
  if (!Array.isArray(addresses)) {
    throw new KernelDumpError("ip -j addr show", "expected a JSON array of links");
  }
  const byIndex = addressesByIfindex(addresses);
  const states = new Map<string, LinkState>();
  for (const entry of links) {
    const state = parseLink(entry, byIndex, hwPaths);
    if (state) states.set(state.ifname, state);
  }
  return states;
}

type PropertyEntry = readonly [string[], unknown];

/**
 * The `interface/<ifname>/...` properties of one link. An absent link is
 * `present: false` and `lower_up: false`; its other properties have the value
 * `undefined`, which `PropertyTable.putMany` treats as a removal, so one
 * `putMany` both writes a link's properties and clears those of a vanished
 * one, with listeners notified once, after every change is in.
 */
export function linkProperties(ifname: string, link: LinkState | undefined): PropertyEntry[] {
  const key = (name: string): string[] => ["interface", ifname, name];
  return [
    [key("present"), link !== undefined],
    [key("lower_up"), link?.lowerUp ?? false],
    [key("mac_address"), link ? link.macAddress : undefined],
    [key("addresses"), link ? link.addresses.map((address) => ({ ...address })) : undefined],
    [key("hw_path"), link?.hwPath],
  ];
}

function sameLink(a: LinkState, b: LinkState): boolean {
  return (
    a.ifindex === b.ifindex &&
    a.adminUp === b.adminUp &&
    a.lowerUp === b.lowerUp &&
    a.macAddress === b.macAddress &&
    a.hwPath === b.hwPath &&
    isDeepStrictEqual(a.addresses, b.addresses)
  );
}

function presentChange(link: LinkState): LinkChange {
  return {
    ifname: link.ifname,
    present: true,
    ifindex: link.ifindex,
    lowerUp: link.lowerUp,
    adminUp: link.adminUp,
    addresses: link.addresses.map((address) => ({ ...address })),
    macAddress: link.macAddress,
    hwPath: link.hwPath,
  };
}

function absentChange(ifname: string): LinkChange {
  return {
    ifname,
    present: false,
    ifindex: null,
    lowerUp: false,
    adminUp: false,
    addresses: [],
    macAddress: null,
    hwPath: null,
  };
}

/**
 * The interfaces whose state differs from `previous` to `next`: appeared,
 * vanished, carrier, admin state, addresses (order included), hardware address
 * or path, or a new ifindex under the same name. Interfaces of `next` come
 * first in its order, then the vanished ones.
 */
export function linkChanges(
  previous: ReadonlyMap<string, LinkState>,
  next: ReadonlyMap<string, LinkState>,
): LinkChange[] {
  const changes: LinkChange[] = [];
  for (const [ifname, link] of next) {
    const before = previous.get(ifname);
    if (!before || !sameLink(before, link)) changes.push(presentChange(link));
  }
  for (const ifname of previous.keys()) {
    if (!next.has(ifname)) changes.push(absentChange(ifname));
  }
  return changes;
}
