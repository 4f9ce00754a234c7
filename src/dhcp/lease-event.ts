import { isDnsName } from "../config/dns-name.js";
import { assertInterfaceName, InvalidInterfaceNameError } from "../linux/interface-name.js";
import { isIpv4Address } from "../route/ipv4.js";

/**
 * What a DHCP client reported, checked. The values come from a DHCP server on
 * the network, so every field is untrusted: a report with one bad field is
 * rejected as a whole rather than half-applied.
 */
export type DhcpEvent =
  | { kind: "deconfig" | "leasefail" | "nak"; ifname: string }
  | {
      kind: "bound" | "renew";
      ifname: string;
      address: string;
      prefixLength: number;
      routers: string[];
      nameServers: string[];
      domain?: string;
      leaseSeconds?: number;
      serverId?: string;
    };

export type DhcpEventKind = DhcpEvent["kind"];

/** An event that carries a lease: the address to put on the interface and what came with it. */
export type DhcpLeaseEvent = Extract<DhcpEvent, { kind: "bound" | "renew" }>;

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
 * bad field.
 */
export function parseDhcpReport(report: Readonly<Record<string, string>>): DhcpEvent {
  const kind = report.event;
  const ifname = parseInterface(report.interface);
  if (isNoAddressEvent(kind)) return { kind, ifname };
  if (!isLeaseEvent(kind)) {
    throw new DhcpReportError("event", kind, "not one of deconfig, bound, renew, leasefail, nak");
  }
  const event: DhcpLeaseEvent = {
    kind,
    ifname,
    address: parseHostAddress("ip", report.ip),
    prefixLength: parsePrefixLength(report),
    routers: parseAddressList("router", report.router),
    nameServers: parseAddressList("dns", report.dns),
  };
  const domain = optional(report.domain);
  if (domain !== undefined) event.domain = parseDomain(domain);
  const lease = optional(report.lease);
  if (lease !== undefined) event.leaseSeconds = parseLease(lease);
  const serverId = optional(report.serverid);
  if (serverId !== undefined) event.serverId = parseHostAddress("serverid", serverId);
  return event;
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
  const first = Number(value.split(".")[0]);
  if (first === 0 || first === 127 || first >= 224) {
    throw new DhcpReportError(field, value, "not a unicast host address");
  }
  return value;
}

function parseAddressList(field: string, value: string | undefined): string[] {
  const entries = (value ?? "").split(" ").filter((entry) => entry !== "");
  return entries.map((entry) => parseHostAddress(field, entry));
}

/**
 * udhcpc gives both `subnet` (dotted) and `mask` (prefix length, computed from
 * subnet); either is enough, and when both are given they must agree.
 */
function parsePrefixLength(report: Readonly<Record<string, string>>): number {
  const mask = optional(report.mask);
  const subnet = optional(report.subnet);
  const fromMask = mask === undefined ? undefined : parseMaskLength(mask);
  const fromSubnet = subnet === undefined ? undefined : parseSubnet(subnet);
  if (fromMask !== undefined && fromSubnet !== undefined && fromMask !== fromSubnet) {
    throw new DhcpReportError("subnet", subnet, `does not match mask ${fromMask}`);
  }
  const prefixLength = fromMask ?? fromSubnet;
  if (prefixLength === undefined) throw new DhcpReportError("subnet", undefined, "missing");
  return prefixLength;
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
  const bits = value
    .split(".")
    .map((octet) => Number(octet).toString(2).padStart(8, "0"))
    .join("");
  const length = bits.indexOf("0") === -1 ? 32 : bits.indexOf("0");
  if (length === 0 || bits.slice(length).includes("1")) {
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
