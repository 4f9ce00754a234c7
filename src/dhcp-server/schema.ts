import { z } from "zod";
import { DNS_NAME } from "../config/dns-name.js";
import { isIpv4Address, isPrefixLength } from "../route/ipv4.js";
import { ipv4ToNumber, numberToIpv4, prefixLengthOfNetmask, subnetBounds } from "./ipv4-math.js";

/**
 * The `dhcpd` key of a static Ethernet or WiFi access-point configuration
 * (VintageNet's): busybox udhcpd hands out `start`..`end` on the interface.
 *
 * `dhcpdSchema` checks what the key says by itself; `dhcpdProblems` also
 * checks it against the interface's own static address, which lives in
 * another key (`ipv4`): a technology's schema calls it from a `.check`.
 *
 * Decisions, where udhcpd itself would accept more:
 * - The interface's own address must not be inside start..end. udhcpd skips
 *   it when it picks a free address, but offers it to a client that asks for
 *   it (a DHCPDISCOVER with that requested address): two hosts, one address.
 * - Addresses handed out (start, end, static leases) must be hosts of the
 *   interface's subnet: not its network or broadcast address (udhcpd would
 *   hand those out too), and on-link, or clients could not reach the server.
 * - A static lease may lie inside start..end (udhcpd then keeps that address
 *   for its MAC) or outside it (it is still served).
 * - Routers must be on the clients' subnet: a client reaches its router directly.
 */

const ipv4Address = z.ipv4({
  error: (issue) =>
    issue.input === undefined
      ? "is required: an IPv4 address"
      : `not an IPv4 address: ${JSON.stringify(issue.input)}`,
});

const MAC_ADDRESS = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;

/** Why a well-formed `mac` cannot be a DHCP client's hardware address, or undefined when it can. */
function macProblem(mac: string): string | undefined {
  const bytes = mac.split(":").map((part) => Number.parseInt(part, 16));
  if (bytes.every((byte) => byte === 0)) {
    // udhcpd marks addresses it reserves for nobody (conflicts, declines) with this MAC.
    return "must not be 00:00:00:00:00:00";
  }
  if (((bytes[0] ?? 0) & 1) === 1) {
    return "must be one station's (unicast) MAC address: the first byte must be even";
  }
  return undefined;
}

const MAC_FORMAT = "must be a MAC address like 02:00:00:00:00:01";

/** A regex first, so the exported JSON Schema carries the format for editors. */
const macAddress = z
  .string({ error: MAC_FORMAT })
  .regex(MAC_ADDRESS, MAC_FORMAT)
  .check((context) => {
    if (!MAC_ADDRESS.test(context.value)) return;
    const problem = macProblem(context.value);
    if (problem) context.issues.push({ code: "custom", input: context.value, message: problem });
  });

const netmask = ipv4Address.check((context) => {
  if (!isIpv4Address(context.value)) return;
  const prefixLength = prefixLengthOfNetmask(context.value);
  if (prefixLength === undefined || prefixLength === 0) {
    context.issues.push({
      code: "custom",
      input: context.value,
      message: "must be a netmask like 255.255.255.0",
    });
  }
});

const domainName = z.string().regex(DNS_NAME, "must be a domain name");

/** One DHCP option carries at most 255 bytes; 16 addresses (64 bytes) is plenty. */
const MAX_ADDRESSES = 16;
const addressList = z
  .array(ipv4Address)
  .max(MAX_ADDRESSES, `must list at most ${MAX_ADDRESSES} addresses`);

export const MIN_LEASE_SECONDS = 60;
export const MAX_LEASE_SECONDS = 31_536_000;

/** What clients are told besides their address (DHCP options). */
export const dhcpdOptionsSchema = z.strictObject({
  /** Default gateways (option 3), on the clients' subnet. */
  router: addressList.optional(),
  /** Name servers (option 6). */
  dns: addressList.optional(),
  /** The clients' domain (option 15). */
  domain: domainName.optional(),
  /** DNS search list (option 119). */
  search: z.array(domainName).max(6, "must list at most 6 domains").optional(),
  /** Interface MTU (option 26). */
  mtu: z
    .number()
    .int("must be an integer")
    .min(68, "must be 68..65535")
    .max(65535, "must be 68..65535")
    .optional(),
  /** The clients' netmask (option 1); by default that of the interface's prefix length. */
  subnet: netmask.optional(),
});

export const staticLeaseSchema = z.strictObject({
  /** The client's MAC address; letters in either case. */
  mac: macAddress,
  /** The address it always gets. */
  address: ipv4Address,
});

export const dhcpdSchema = z
  .strictObject({
    /** First address handed out. */
    start: ipv4Address,
    /** Last address handed out. */
    end: ipv4Address,
    /** How long a lease lasts; 86400 (a day) by default. */
    leaseSeconds: z
      .number()
      .int("must be a whole number of seconds")
      // udhcpd rounds a client's shorter wish up to its min_lease, 60 s.
      .min(
        MIN_LEASE_SECONDS,
        `must be ${MIN_LEASE_SECONDS}..${MAX_LEASE_SECONDS} (a minute to a year)`,
      )
      .max(
        MAX_LEASE_SECONDS,
        `must be ${MIN_LEASE_SECONDS}..${MAX_LEASE_SECONDS} (a minute to a year)`,
      )
      .optional(),
    options: dhcpdOptionsSchema.optional(),
    staticLeases: z.array(staticLeaseSchema).optional(),
  })
  .check((context) => {
    for (const problem of ownProblems(context.value)) {
      context.issues.push({
        code: "custom",
        input: context.value,
        path: problem.path,
        message: problem.message,
      });
    }
  });

export type DhcpdConfig = z.infer<typeof dhcpdSchema>;
export type DhcpdOptions = z.infer<typeof dhcpdOptionsSchema>;
export type StaticLease = z.infer<typeof staticLeaseSchema>;

/** A problem with a `dhcpd` value; the path is relative to it (e.g. `["staticLeases", 1, "mac"]`). */
export interface DhcpdProblem {
  path: (string | number)[];
  message: string;
}

/** The interface's own static address, from its `ipv4` key. */
export interface DhcpdInterface {
  address: string;
  prefixLength: number;
}

/** Bytes the search list takes in its DHCP option, uncompressed (each name: its labels, then a zero). */
function searchOptionBytes(domains: readonly string[]): number {
  return domains.reduce((sum, domain) => sum + domain.length + 2, 0);
}

/** The relations within `dhcpd` itself (each field is already well-formed). */
function ownProblems(dhcpd: DhcpdConfig): DhcpdProblem[] {
  const problems: DhcpdProblem[] = [];
  const { start, end } = dhcpd;
  if (isIpv4Address(start) && isIpv4Address(end) && ipv4ToNumber(start) > ipv4ToNumber(end)) {
    problems.push({ path: ["end"], message: `must not come before start (${start})` });
  }
  const search = dhcpd.options?.search ?? [];
  if (searchOptionBytes(search) > 255) {
    problems.push({
      path: ["options", "search"],
      message: "is too long: one DHCP option holds at most 255 bytes",
    });
  }
  const macs = new Map<string, number>();
  const addresses = new Map<string, number>();
  for (const [index, lease] of (dhcpd.staticLeases ?? []).entries()) {
    const mac = lease.mac.toLowerCase();
    const firstWithMac = macs.get(mac);
    if (firstWithMac !== undefined) {
      problems.push({
        path: ["staticLeases", index, "mac"],
        message: `${lease.mac} already has a static lease (staticLeases[${firstWithMac}])`,
      });
    } else {
      macs.set(mac, index);
    }
    const firstWithAddress = addresses.get(lease.address);
    if (firstWithAddress !== undefined) {
      problems.push({
        path: ["staticLeases", index, "address"],
        message: `${lease.address} is already the static lease of staticLeases[${firstWithAddress}]`,
      });
    } else {
      addresses.set(lease.address, index);
    }
  }
  return problems;
}

interface Subnet {
  prefixLength: number;
  first: number;
  last: number;
  cidr: string;
  /** How messages name it. */
  name: string;
}

function subnetOf(address: string, prefixLength: number, name: string): Subnet {
  const { first, last } = subnetBounds(address, prefixLength);
  return { prefixLength, first, last, cidr: `${numberToIpv4(first)}/${prefixLength}`, name };
}

/** Why `address` cannot be handed to a client, or undefined when it can. */
function hostProblem(
  address: string,
  onLink: Subnet,
  subnets: readonly Subnet[],
): string | undefined {
  const value = ipv4ToNumber(address);
  if (value < onLink.first || value > onLink.last)
    return `must be on ${onLink.name} ${onLink.cidr}`;
  for (const subnet of subnets) {
    // A /31 is a point-to-point link whose two addresses are both hosts (RFC 3021).
    if (subnet.prefixLength >= 31) continue;
    if (value === subnet.first) return `must not be the network address of ${subnet.cidr}`;
    if (value === subnet.last) return `must not be the broadcast address of ${subnet.cidr}`;
  }
  return undefined;
}

/**
 * Every problem of `dhcpd` on an interface with this static address: those
 * `dhcpdSchema` finds by itself, and those against the interface's subnet.
 * Never throws; malformed values are left to the schema's own messages.
 */
export function dhcpdProblems(dhcpd: DhcpdConfig, iface: DhcpdInterface): DhcpdProblem[] {
  const problems = ownProblems(dhcpd);
  const { address, prefixLength } = iface;
  if (!isIpv4Address(address) || !isPrefixLength(prefixLength)) return problems;
  if (prefixLength === 32) {
    problems.push({
      path: [],
      message: `the interface's address ${address}/32 is a subnet of one address, its own: there is none to hand out; give the prefix length of its network`,
    });
    return problems;
  }
  const own = subnetOf(address, prefixLength, "the interface's subnet");
  const mask = dhcpd.options?.subnet;
  const maskLength =
    mask !== undefined && isIpv4Address(mask) ? prefixLengthOfNetmask(mask) : undefined;
  const clients =
    maskLength === undefined
      ? own
      : subnetOf(address, maskLength, "the clients' subnet (options.subnet)");
  // Clients must be on both: the interface's (to reach the server) and the one they are told.
  const onLink = clients.prefixLength > own.prefixLength ? clients : own;
  const subnets = [own, clients];
  const place = (value: string, path: (string | number)[]) => {
    if (!isIpv4Address(value)) return false;
    const problem = hostProblem(value, onLink, subnets);
    if (problem) problems.push({ path, message: problem });
    return problem === undefined;
  };

  const { start, end } = dhcpd;
  const startOk = place(start, ["start"]);
  const endOk = place(end, ["end"]);
  if (startOk && endOk) {
    const ownValue = ipv4ToNumber(address);
    if (ipv4ToNumber(start) <= ownValue && ownValue <= ipv4ToNumber(end)) {
      problems.push({
        path: address === end ? ["end"] : ["start"],
        message: `start..end (${start}..${end}) must not include the interface's own address ${address}: udhcpd would give it to a client that asks for it`,
      });
    }
  }
  for (const [index, lease] of (dhcpd.staticLeases ?? []).entries()) {
    const path = ["staticLeases", index, "address"];
    if (lease.address === address) {
      problems.push({ path, message: "must not be the interface's own address" });
    } else {
      place(lease.address, path);
    }
  }
  for (const [index, router] of (dhcpd.options?.router ?? []).entries()) {
    place(router, ["options", "router", index]);
  }
  return problems;
}
