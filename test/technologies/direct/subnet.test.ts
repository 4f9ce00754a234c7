import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ipv4ToNumber } from "../../../src/dhcp-server/ipv4-math.js";
import {
  derivedDirectAddresses,
  directAddressProblem,
  explicitDirectAddresses,
} from "../../../src/technologies/direct/subnet.js";

const hostname = fc.string({ minLength: 0, maxLength: 64, unit: "grapheme" });
const ifname = fc.stringMatching(/^[a-z][a-z0-9]{0,14}$/);

describe("a direct link's derived /30", () => {
  it("is a /30 inside 172.31.0.0/16: device on its first host address, peer on its second", () => {
    fc.assert(
      fc.property(hostname, ifname, (name, link) => {
        const { address, peer, prefixLength } = derivedDirectAddresses(name, link);
        expect(prefixLength).toBe(30);
        expect(address).toMatch(/^172\.31\.\d{1,3}\.\d{1,3}$/);
        const value = ipv4ToNumber(address);
        // Host 1 of its /30: the network address is one below, on a multiple of 4.
        expect((value - 1) % 4).toBe(0);
        expect(ipv4ToNumber(peer)).toBe(value + 1);
        expect(peer.startsWith("172.31.")).toBe(true);
      }),
    );
  });

  it("is the same for the same name and interface, every time", () => {
    fc.assert(
      fc.property(hostname, ifname, (name, link) => {
        expect(derivedDirectAddresses(name, link)).toEqual(derivedDirectAddresses(name, link));
      }),
    );
    // Pinned (checked with Python: sha256(b"nerves-1234\x00usb0") starts 0x3b, 0x85): a change
    // of the derivation would move every deployed device's subnet.
    expect(derivedDirectAddresses("nerves-1234", "usb0")).toEqual({
      address: "172.31.59.133",
      peer: "172.31.59.134",
      prefixLength: 30,
    });
  });

  it("differs between names and between interfaces (spread over the 16384 /30s)", () => {
    const subnets = new Set<string>();
    for (let index = 0; index < 500; index += 1) {
      subnets.add(derivedDirectAddresses(`device-${index}`, "usb0").address);
    }
    // 500 draws from 16384: a handful of collisions at most.
    expect(subnets.size).toBeGreaterThan(490);
    expect(derivedDirectAddresses("device", "usb0")).not.toEqual(
      derivedDirectAddresses("device", "usb1"),
    );
  });
});

describe("an explicit direct address", () => {
  it("gives the peer the other host of a /30, or the other address of a /31", () => {
    expect(explicitDirectAddresses("192.0.2.1", 30)).toEqual({
      address: "192.0.2.1",
      peer: "192.0.2.2",
      prefixLength: 30,
    });
    expect(explicitDirectAddresses("192.0.2.2", 30).peer).toBe("192.0.2.1");
    expect(explicitDirectAddresses("198.51.100.4", 31).peer).toBe("198.51.100.5");
    expect(explicitDirectAddresses("198.51.100.5", 31).peer).toBe("198.51.100.4");
  });

  it("refuses a /30's network and broadcast addresses, naming the usable ones", () => {
    expect(directAddressProblem("192.0.2.4", 30)).toMatch(
      /192\.0\.2\.4\/30 \(192\.0\.2\.5 or 192\.0\.2\.6\)/,
    );
    expect(directAddressProblem("192.0.2.7", 30)).toMatch(/network and broadcast/);
    expect(directAddressProblem("192.0.2.5", 30)).toBeUndefined();
    expect(directAddressProblem("192.0.2.4", 31)).toBeUndefined();
  });

  it("always leaves exactly one peer, different from the device", () => {
    fc.assert(
      fc.property(
        fc.nat(2 ** 32 - 1),
        fc.constantFrom(30 as const, 31 as const),
        (value, length) => {
          const address = [24, 16, 8, 0]
            .map((shift) => Math.floor(value / 2 ** shift) % 256)
            .join(".");
          if (directAddressProblem(address, length) !== undefined) return;
          const { peer } = explicitDirectAddresses(address, length);
          expect(peer).not.toBe(address);
          const size = 2 ** (32 - length);
          expect(Math.floor(ipv4ToNumber(peer) / size)).toBe(Math.floor(value / size));
          expect(directAddressProblem(peer, length)).toBeUndefined();
        },
      ),
    );
  });
});
