import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  classfulPrefixLength,
  netmaskOf,
  netmaskPrefixLength,
  networkOf,
  subnetBroadcast,
} from "../../src/route/ipv4.js";
import { RUNS } from "../fuzz/arbitraries.js";

const octet = fc.integer({ min: 0, max: 255 });
const address = fc.tuple(octet, octet, octet, octet).map((octets) => octets.join("."));

describe("an address's subnet broadcast address", () => {
  it.each([
    ["192.0.2.10", 24, "192.0.2.255"],
    ["198.51.100.77", 25, "198.51.100.127"],
    ["198.51.100.200", 25, "198.51.100.255"],
    ["203.0.113.9", 29, "203.0.113.15"],
    ["10.1.2.3", 8, "10.255.255.255"],
    ["192.0.2.10", 30, "192.0.2.11"],
    ["192.0.2.10", 0, "255.255.255.255"],
  ])("%s/%i: %s", (ip, prefixLength, broadcast) => {
    expect(subnetBroadcast(ip, prefixLength)).toBe(broadcast);
  });

  it("is none for a point-to-point /31 and a /32", () => {
    expect(subnetBroadcast("192.0.2.10", 31)).toBeUndefined();
    expect(subnetBroadcast("192.0.2.11", 31)).toBeUndefined();
    expect(subnetBroadcast("192.0.2.10", 32)).toBeUndefined();
  });

  it("is the last address of the address's network, for any address and prefix below 31", () => {
    const value = (ip: string) => ip.split(".").reduce((sum, part) => sum * 256 + Number(part), 0);
    fc.assert(
      fc.property(address, fc.integer({ min: 0, max: 30 }), (ip, prefixLength) => {
        const broadcast = subnetBroadcast(ip, prefixLength) ?? "";
        expect(networkOf(broadcast, prefixLength)).toBe(networkOf(ip, prefixLength));
        // Every host bit set: one more is the next network's first address.
        expect((value(broadcast) + 1) % 2 ** (32 - prefixLength)).toBe(0);
      }),
      { numRuns: RUNS.some },
    );
  });
});

describe("netmasks", () => {
  it.each([
    ["255.255.255.0", 24],
    ["255.255.252.0", 22],
    ["255.0.0.0", 8],
    ["255.255.255.255", 32],
    ["255.255.255.254", 31],
    ["128.0.0.0", 1],
    ["0.0.0.0", 0],
  ])("%s is /%i", (mask, length) => {
    expect(netmaskPrefixLength(mask)).toBe(length);
    expect(netmaskOf(length)).toBe(mask);
  });

  it.each([
    "255.0.255.0",
    "255.255.255.1",
    "0.255.255.255",
    "255.255.254.255",
    "255.255.255",
    "255.255.255.256",
    "24",
    "",
  ])("%j is no netmask", (mask) => {
    expect(netmaskPrefixLength(mask)).toBeUndefined();
  });

  it("round-trips every prefix length", () => {
    for (let length = 0; length <= 32; length += 1) {
      expect(netmaskPrefixLength(netmaskOf(length))).toBe(length);
    }
  });
});

describe("the classful prefix of an address without a subnet mask", () => {
  it.each([
    ["10.1.2.3", 8],
    ["127.0.0.1", 8],
    ["128.0.0.1", 16],
    ["172.16.5.4", 16],
    ["191.255.0.1", 16],
    ["192.0.2.10", 24],
    ["223.255.255.1", 24],
    ["224.0.0.1", 32],
    ["240.0.0.1", 32],
  ])("%s: /%i", (ip, length) => {
    expect(classfulPrefixLength(ip)).toBe(length);
  });
});
