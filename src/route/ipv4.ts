const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function isIpv4Address(value: string): boolean {
  const parts = value.split(".");
  return parts.length === 4 && parts.every((part) => OCTET.test(part));
}

/** An address a host may hold or talk to: not 0.x, loopback, multicast or reserved. */
export function isHostAddress(value: string): boolean {
  if (!isIpv4Address(value)) return false;
  const first = Number(value.split(".")[0]);
  return first !== 0 && first !== 127 && first < 224;
}

export function isPrefixLength(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 32;
}

function toNumber(address: string): number {
  return address.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

function fromNumber(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** The network an address belongs to, in CIDR form: `192.0.2.10/24` → `192.0.2.0/24`. */
export function networkOf(address: string, prefixLength: number): string {
  const size = 2 ** (32 - prefixLength);
  const base = Math.floor(toNumber(address) / size) * size;
  return `${fromNumber(base)}/${prefixLength}`;
}

/** The subnet's broadcast address: `192.0.2.10/24` → `192.0.2.255`. */
export function broadcastOf(address: string, prefixLength: number): string {
  const size = 2 ** (32 - prefixLength);
  return fromNumber(Math.floor(toNumber(address) / size) * size + size - 1);
}

/**
 * The broadcast address an interface address carries, or none: a /31 is a
 * point-to-point link whose two addresses are both hosts (RFC 3021), and a
 * /32 has no other address at all.
 */
export function subnetBroadcast(address: string, prefixLength: number): string | undefined {
  return prefixLength >= 31 ? undefined : broadcastOf(address, prefixLength);
}

/** The dotted form of a prefix length: 24 → `255.255.255.0`. */
export function netmaskOf(prefixLength: number): string {
  return fromNumber(2 ** 32 - 2 ** (32 - prefixLength));
}

/**
 * The prefix length of a dotted netmask (`255.255.252.0` → 22), or undefined
 * when it is no address or its ones are not contiguous from the left.
 */
export function netmaskPrefixLength(mask: string): number | undefined {
  if (!isIpv4Address(mask)) return undefined;
  const bits = toNumber(mask).toString(2).padStart(32, "0");
  const length = bits.indexOf("0") === -1 ? 32 : bits.indexOf("0");
  return bits.slice(length).includes("1") ? undefined : length;
}

/**
 * The netmask an address had before subnets (RFC 791's classes), what
 * `ifconfig` gives an address without one: class A /8, B /16, C /24, and
 * anything else (multicast, reserved) a host route.
 */
export function classfulPrefixLength(address: string): number {
  const first = Number(address.split(".")[0]);
  if (first < 128) return 8;
  if (first < 192) return 16;
  if (first < 224) return 24;
  return 32;
}
