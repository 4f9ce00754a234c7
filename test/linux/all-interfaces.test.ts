import { describe, expect, it } from "vitest";
import { allInterfaceNames } from "../../src/linux/kernel-monitor.js";

describe("all_interfaces from a link dump", () => {
  it("lists every link by name, lo included, sorted", () => {
    const dump = [
      { ifindex: 3, ifname: "wlan0", flags: ["BROADCAST"] },
      { ifindex: 1, ifname: "lo", flags: ["LOOPBACK", "UP", "LOWER_UP"] },
      { ifindex: 2, ifname: "eth0", flags: ["BROADCAST", "UP"] },
      { ifindex: 4, ifname: "usb0", flags: [] },
    ];
    expect(allInterfaceNames(dump)).toEqual(["eth0", "lo", "usb0", "wlan0"]);
  });

  it("skips entries without a usable name and lists a name once", () => {
    const dump = [
      null,
      "eth0",
      { ifindex: 2 },
      { ifindex: 3, ifname: "" },
      { ifindex: 4, ifname: "a b" },
      { ifindex: 5, ifname: "x".repeat(16) },
      { ifindex: 6, ifname: 7 },
      { ifindex: 7, ifname: "eth1" },
      { ifindex: 7, ifname: "eth1" },
    ];
    expect(allInterfaceNames(dump)).toEqual(["eth1"]);
  });

  it("is empty for a dump that is not a list", () => {
    expect(allInterfaceNames({ ifname: "eth0" })).toEqual([]);
  });
});
