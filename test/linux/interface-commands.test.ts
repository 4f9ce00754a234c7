import { describe, expect, it } from "vitest";
import { addressChanges, describeCommand } from "../../src/linux/interface-commands.js";

const A = { address: "192.0.2.10", prefixLength: 24 };
const B = { address: "192.0.2.20", prefixLength: 24 };

describe("converging an interface's IPv4 addresses", () => {
  it("changes nothing when the addresses are already right", () => {
    expect(addressChanges("eth0", [A], [A])).toEqual([]);
  });

  it("adds the new address before removing the old one", () => {
    expect(addressChanges("eth0", [A], [B])).toEqual([
      "addr replace 192.0.2.20/24 dev eth0 noprefixroute",
      "addr del 192.0.2.10/24 dev eth0",
    ]);
  });

  it("treats a new prefix length as a new address", () => {
    expect(addressChanges("eth0", [A], [{ ...A, prefixLength: 25 }])).toEqual([
      "addr replace 192.0.2.10/25 dev eth0 noprefixroute",
      "addr del 192.0.2.10/24 dev eth0",
    ]);
  });

  it("removes everything for an empty list", () => {
    expect(addressChanges("eth0", [A, B], [])).toEqual([
      "addr del 192.0.2.10/24 dev eth0",
      "addr del 192.0.2.20/24 dev eth0",
    ]);
  });

  it("describes commands for logs", () => {
    expect(describeCommand({ kind: "ipv4_addresses", ifname: "eth0", addresses: [A] })).toBe(
      "set eth0 IPv4 addresses to [192.0.2.10/24]",
    );
    expect(describeCommand({ kind: "sysctl", path: "net/ipv4/ip_forward", value: "1" })).toBe(
      "sysctl net/ipv4/ip_forward=1",
    );
  });
});
