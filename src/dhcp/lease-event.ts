import { isDnsName } from "../config/dns-name.js";
import { assertInterfaceName, InvalidInterfaceNameError } from "../linux/interface-name.js";
import {
  classfulPrefixLength,
  isHostAddress,
  isIpv4Address,
  netmaskOf,
  netmaskPrefixLength,
} from "../route/ipv4.js";
import { leaseOptions } from "./lease-options.js";

/**
 * What a DHCP client reported, checked. The values come from a DHCP server on
 * the network, so every field is untrusted. What statenet applies (address,
 * prefix, routers, name servers, domain, lease time, server) must be right, or
 * the report is rejected as a whole rather than half-applied; what it only
 * publishes is left out field by field when malformed (and named in `ignored`).
 */
export interface DhcpLease {
  address: string;
  prefixLength: number;
  /** The server sent no subnet mask: the prefix is the address class's, as `ifconfig` assumes. */
  subnetAssumed?: true;
  routers: string[];
  nameServers: string[];
  domain?: string;
  leaseSeconds?: number;
  serverId?: string;
  /** Option 28; the address gets its subnet's broadcast address all the same. */
  broadcast?: string;
  /** Option 119, the domain search list. */
  search?: string[];
  /** Option 42. */
  ntpServers?: string[];
  /** Option 26, the link's MTU. */
  mtu?: number;
  /** Option 58 (T1): when to renew. */
  renewalSeconds?: number;
  /** Option 59 (T2): when to ask any server. */
  rebindingSeconds?: number;
  /** Option 12, the name the server gives the device. */
  hostname?: string;
  /** Option 252, where the web proxy configuration is. */
  wpad?: string;
  /**
   * Options asked for (`dhcpRequestOptions`) that have no field above, by
   * udhcpc's name: its text for options it knows, hex for `opt<code>`.
   */
  requested?: Record<string, string>;
  /** udhcpc variables whose malformed value was left out (never a field statenet applies). */
  ignored?: string[];
}

export type DhcpEvent =
  | { kind: "deconfig" | "leasefail" | "nak"; ifname: string }
  | ({ kind: "bound" | "renew"; ifname: string } & DhcpLease);

export type DhcpEventKind = DhcpEvent["kind"];

/** An event that carries a lease: the address to put on the interface and what came with it. */
export type DhcpLeaseEvent = Extract<DhcpEvent, { kind: "bound" | "renew" }>;

/** What `interface/<if>/dhcp_options` shows of a lease: everything the server gave, parsed. */
export type DhcpOptions = Omit<DhcpLease, "ignored"> & { netmask?: string };

export function dhcpOptionsOf(event: DhcpLeaseEvent): DhcpOptions {
  const { kind: _kind, ifname: _ifname, ignored: _ignored, ...lease } = event;
  return lease.subnetAssumed ? lease : { ...lease, netmask: netmaskOf(lease.prefixLength) };
}

export interface DhcpReportOptions {
  /** udhcpc variables of the options asked for with `-O`, to pass on as `requested`. */
  requested?: readonly string[];
}

export class DhcpReportError extends Error {
  constructor(
    /** The udhcpc variable that was wrong, e.g. `router`. */
    readonly field: string,
    readonly value: string | undefined,
    reason: string,
  ) {
    super(
      `DHCP report field ${field}: ${reason}${value === undefined ? "" : ` (${shown(value)})`}`,
    );
    this.name = "DhcpReportError";
  }
}

// The value is untrusted: keep an error message short and on one line.
function shown(value: string): string {
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const NO_ADDRESS_EVENTS = new Set(["deconfig", "leasefail", "nak"] as const);
const LEASE_EVENTS = new Set(["bound", "renew"] as const);

/** RFC 2132 lease time is 32 bits; 0xffffffff means infinite. */
const MAX_LEASE_SECONDS = 0xffff_ffff;

/**
 * Turns the variables a udhcpc script receives (plus `event`, the script's
 * first argument) into a DhcpEvent; throws DhcpReportError naming the first
 * bad field that statenet would apply.
 */
export function parseDhcpReport(
  report: Readonly<Record<string, string>>,
  options: DhcpReportOptions = {},
): DhcpEvent {
  const kind = report.event;
  const ifname = parseInterface(report.interface);
  if (isNoAddressEvent(kind)) return { kind, ifname };
  if (!isLeaseEvent(kind)) {
    throw new DhcpReportError("event", kind, "not one of deconfig, bound, renew, leasefail, nak");
  }
  const address = parseHostAddress("ip", report.ip);
  const prefixLength = parsePrefixLength(report);
  const event: DhcpLeaseEvent = {
    kind,
    ifname,
    address,
    prefixLength: prefixLength ?? classfulPrefixLength(address),
    routers: parseAddressList("router", report.router),
    nameServers: parseAddressList("dns", report.dns),
  };
  if (prefixLength === undefined) event.subnetAssumed = true;
  const domain = optional(report.domain);
  if (domain !== undefined) event.domain = parseDomain(domain);
  const lease = optional(report.lease);
  if (lease !== undefined) event.leaseSeconds = parseLease(lease);
  const serverId = optional(report.serverid);
  if (serverId !== undefined) event.serverId = parseHostAddress("serverid", serverId);
  return Object.assign(event, leaseOptions(report, options.requested ?? []));
}

function isNoAddressEvent(kind: string | undefined): kind is "deconfig" | "leasefail" | "nak" {
  return NO_ADDRESS_EVENTS.has(kind as never);
}

function isLeaseEvent(kind: string | undefined): kind is "bound" | "renew" {
  return LEASE_EVENTS.has(kind as never);
}

/** udhcpc leaves variables for options the server did not send empty or unset. */
function optional(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function parseInterface(value: string | undefined): string {
  if (value === undefined) throw new DhcpReportError("interface", value, "missing");
  try {
    assertInterfaceName(value);
  } catch (error) {
    if (error instanceof InvalidInterfaceNameError) {
      throw new DhcpReportError("interface", value, "not a valid interface name");
    }
    throw error;
  }
  return value;
}

/** An address a host may hold or talk to: not 0.x, loopback, multicast or reserved. */
function parseHostAddress(field: string, value: string | undefined): string {
  if (value === undefined || value === "") throw new DhcpReportError(field, value, "missing");
  if (!isIpv4Address(value)) throw new DhcpReportError(field, value, "not an IPv4 address");
  if (!isHostAddress(value)) throw new DhcpReportError(field, value, "not a unicast host address");
  return value;
}

function parseAddressList(field: string, value: string | undefined): string[] {
  const entries = (value ?? "").split(" ").filter((entry) => entry !== "");
  return entries.map((entry) => parseHostAddress(field, entry));
}

/**
 * udhcpc gives both `subnet` (dotted) and `mask` (prefix length, computed from
 * subnet); either is enough, and when both are given they must agree. Neither:
 * the server sent no subnet mask (undefined).
 */
function parsePrefixLength(report: Readonly<Record<string, string>>): number | undefined {
  const mask = optional(report.mask);
  const subnet = optional(report.subnet);
  const fromMask = mask === undefined ? undefined : parseMaskLength(mask);
  const fromSubnet = subnet === undefined ? undefined : parseSubnet(subnet);
  if (fromMask !== undefined && fromSubnet !== undefined && fromMask !== fromSubnet) {
    throw new DhcpReportError("subnet", subnet, `does not match mask ${fromMask}`);
  }
  return fromMask ?? fromSubnet;
}

/** A host address needs a prefix of at least one bit. */
function parseMaskLength(value: string): number {
  const length = /^\d{1,2}$/.test(value) ? Number(value) : Number.NaN;
  if (!(length >= 1 && length <= 32)) {
    throw new DhcpReportError("mask", value, "not a prefix length 1..32");
  }
  return length;
}

function parseSubnet(value: string): number {
  if (!isIpv4Address(value)) throw new DhcpReportError("subnet", value, "not a dotted netmask");
  const length = netmaskPrefixLength(value);
  if (length === undefined || length === 0) {
    throw new DhcpReportError("subnet", value, "not a contiguous netmask");
  }
  return length;
}

function parseLease(value: string): number {
  const seconds = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!(seconds >= 1 && seconds <= MAX_LEASE_SECONDS)) {
    throw new DhcpReportError("lease", value, "not a lease time in seconds");
  }
  return seconds;
}

/** The domain ends up in resolv.conf: only a plain DNS name may pass. */
function parseDomain(value: string): string {
  const name = value.endsWith(".") ? value.slice(0, -1) : value;
  if (!isDnsName(name)) throw new DhcpReportError("domain", value, "not a DNS name");
  return name;
}
