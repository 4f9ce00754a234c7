import { createHash } from "node:crypto";
import { ipv4ToNumber, numberToIpv4, subnetBounds } from "../../dhcp-server/ipv4-math.js";

/**
 * The two addresses of a direct link: the device's and its one peer's.
 *
 * Without an explicit address the link gets a /30 inside 172.31.0.0/16
 * derived from the device's host name and the interface's name, as
 * VintageNetDirect does (so two gadgets plugged into one computer, or two
 * links on one device, do not collide, and the address stays the same
 * across reboots). 172.31/16 is an arbitrary private range, away from the
 * 10/8 and 192.168/16 of most networks and Docker's 172.17-172.18.
 *
 * The derivation (statenet's own; VintageNetDirect hashes with MD5, so its
 * subnets differ): SHA-256 of the UTF-8 bytes of `hostname`, a NUL byte and
 * `ifname`; its first 14 bits pick one of the 16384 /30s of 172.31.0.0/16
 * (bits 0-7: the third octet; bits 8-13: the fourth octet / 4). The device
 * takes the first host address (network + 1), the peer the second (+ 2).
 */

export const DERIVED_RANGE = "172.31.0.0/16";
export const DIRECT_PREFIX_LENGTH = 30;

export interface DirectAddresses {
  /** The device's own address on the link. */
  address: string;
  /** The address udhcpd hands to the peer. */
  peer: string;
  prefixLength: 30 | 31;
}

/** The /30 a device of this name uses on this interface (see the derivation above). */
export function derivedDirectAddresses(hostname: string, ifname: string): DirectAddresses {
  const digest = createHash("sha256").update(hostname).update("\0").update(ifname).digest();
  const third = digest[0] ?? 0;
  const fourth = ((digest[1] ?? 0) >> 2) * 4;
  const network = `172.31.${third}.${fourth}`;
  const base = ipv4ToNumber(network);
  return {
    address: numberToIpv4(base + 1),
    peer: numberToIpv4(base + 2),
    prefixLength: DIRECT_PREFIX_LENGTH,
  };
}

/**
 * Why `address/prefixLength` leaves not exactly one peer address, or
 * undefined when it does. A /30 has two hosts besides its network and
 * broadcast addresses; a /31 (RFC 3021) has two addresses, both hosts.
 */
export function directAddressProblem(address: string, prefixLength: number): string | undefined {
  if (prefixLength === 31) return undefined;
  const { first, last } = subnetBounds(address, prefixLength);
  const value = ipv4ToNumber(address);
  if (value === first || value === last) {
    return `must be one of the two host addresses of ${numberToIpv4(first)}/30 (${numberToIpv4(first + 1)} or ${numberToIpv4(first + 2)}): the others are its network and broadcast addresses`;
  }
  return undefined;
}

/** The peer's address: the other host address of the pair. Assumes directAddressProblem found none. */
export function explicitDirectAddresses(address: string, prefixLength: 30 | 31): DirectAddresses {
  const { first } = subnetBounds(address, prefixLength);
  const value = ipv4ToNumber(address);
  const hosts = prefixLength === 31 ? [first, first + 1] : [first + 1, first + 2];
  const peer = hosts.find((host) => host !== value) ?? value;
  return { address, peer: numberToIpv4(peer), prefixLength };
}
