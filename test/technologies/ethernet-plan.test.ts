import { describe, expect, it } from "vitest";
import { ethernetPlan as technologyPlan } from "../../src/technologies/ethernet/plan.js";
import { nullTechnology } from "../../src/technologies/null/index.js";

const LINK_UP = [
  { kind: "sysctl", path: "net/ipv4/conf/eth0/ignore_routes_with_linkdown", value: "1" },
  { kind: "sysctl", path: "net/ipv4/conf/eth0/promote_secondaries", value: "1" },
  { kind: "ip", args: ["link", "set", "eth0", "up"] },
];
const LINK_DOWN = [
  { kind: "ipv4_addresses", ifname: "eth0", addresses: [] },
  { kind: "ip", args: ["link", "set", "eth0", "down"] },
];

describe("ethernet technology", () => {
  it("DHCP: link up without addresses, then udhcpc", () => {
    expect(
      technologyPlan("eth0", { type: "ethernet", ipv4: { method: "dhcp", hostname: "kiosk-7" } }),
    ).toEqual({
      up: [...LINK_UP, { kind: "ipv4_addresses", ifname: "eth0", addresses: [] }],
      down: LINK_DOWN,
      files: [],
      daemons: [{ kind: "udhcpc", ifname: "eth0", hostname: "kiosk-7" }],
      staticIpv4: undefined,
      reaches: "internet",
      routeClass: "ethernet",
    });
  });

  it("ranks by name only where the name says modem or WiFi: the link may be run by another program", () => {
    const dhcp = { type: "ethernet" as const, ipv4: { method: "dhcp" as const } };
    expect(technologyPlan("usb0", dhcp).routeClass).toBe("ethernet");
    expect(technologyPlan("wwan0", dhcp).routeClass).toBe("mobile");
    expect(technologyPlan("wlan0", dhcp).routeClass).toBe("wifi");
  });

  it("static: the address in the up commands, the settings reported once configured", () => {
    const plan = technologyPlan("eth0", {
      type: "ethernet",
      ipv4: {
        method: "static",
        address: "192.0.2.10",
        prefixLength: 24,
        gateway: "192.0.2.1",
        nameServers: ["192.0.2.53"],
        domain: "lab.test",
      },
    });
    expect(plan.up).toEqual([
      ...LINK_UP,
      {
        kind: "ipv4_addresses",
        ifname: "eth0",
        addresses: [{ address: "192.0.2.10", prefixLength: 24 }],
      },
    ]);
    expect(plan.down).toEqual(LINK_DOWN);
    expect(plan.daemons).toEqual([]);
    expect(plan.staticIpv4).toEqual({
      addresses: [{ address: "192.0.2.10", prefixLength: 24 }],
      gateway: "192.0.2.1",
      nameServers: ["192.0.2.53"],
      domain: "lab.test",
    });
  });

  it("static without gateway or servers: no default route, no name servers", () => {
    const plan = technologyPlan("eth0", {
      type: "ethernet",
      ipv4: { method: "static", address: "192.0.2.10", prefixLength: 24 },
    });
    expect(plan.staticIpv4).toEqual({
      addresses: [{ address: "192.0.2.10", prefixLength: 24 }],
      gateway: undefined,
      nameServers: [],
      domain: undefined,
    });
  });

  it("802.1X: wpa_supplicant authenticates the port before udhcpc asks for a lease", () => {
    const ieee8021x = { eap: "md5" as const, identity: "user1", password: "p" };
    const plan = technologyPlan("eth0", { type: "ethernet", ipv4: { method: "dhcp" }, ieee8021x });
    expect(plan.daemons).toEqual([
      { kind: "wpa_supplicant", ifname: "eth0", driver: "wired", network: ieee8021x },
      { kind: "udhcpc", ifname: "eth0", hostname: undefined },
    ]);
    const staticPlan = technologyPlan("eth0", {
      type: "ethernet",
      ipv4: { method: "static", address: "192.0.2.10", prefixLength: 24 },
      ieee8021x,
    });
    expect(staticPlan.daemons.map((daemon) => daemon.kind)).toEqual(["wpa_supplicant"]);
  });

  it("disabled IPv4: the link is up, with no address and no daemon", () => {
    const plan = technologyPlan("eth0", { type: "ethernet", ipv4: { method: "disabled" } });
    expect(plan.up).toEqual([
      ...LINK_UP,
      { kind: "ipv4_addresses", ifname: "eth0", addresses: [] },
    ]);
    expect(plan.daemons).toEqual([]);
    expect(plan.staticIpv4).toBeUndefined();
    expect(plan.reaches).toBe("lan");
  });
});

describe("null technology", () => {
  it("leaves the interface alone: no commands, files or daemons", () => {
    expect(nullTechnology.plan("eth0", { type: "null" })).toEqual({
      up: [],
      down: [],
      files: [],
      daemons: [],
      reaches: "lan",
      routeClass: "unknown",
      deviceOff: true,
    });
  });
});
