import type { EthernetConfig } from "../config/schema.js";
import type { DaemonSpec, InterfaceCommand, Ipv4Settings, TechnologyPlan } from "./types.js";

/** Commands that make any managed link usable for routing. */
export function linkUpCommands(ifname: string): InterfaceCommand[] {
  return [
    // Without this the kernel keeps using the routes of an unplugged link.
    {
      kind: "sysctl",
      path: `net/ipv4/conf/${ifname}/ignore_routes_with_linkdown`,
      value: "1",
    },
    // A new address in the subnet of the old one (a restart with another static address,
    // a lease with a new one) is added as secondary before the old one goes; without this,
    // deleting the primary takes every secondary with it and leaves no address at all.
    { kind: "sysctl", path: `net/ipv4/conf/${ifname}/promote_secondaries`, value: "1" },
    { kind: "ip", args: ["link", "set", ifname, "up"] },
  ];
}

export function linkDownCommands(ifname: string): InterfaceCommand[] {
  return [
    { kind: "ipv4_addresses", ifname, addresses: [] },
    { kind: "ip", args: ["link", "set", ifname, "down"] },
  ];
}

function staticSettings(ipv4: Extract<EthernetConfig["ipv4"], { method: "static" }>): Ipv4Settings {
  return {
    addresses: [{ address: ipv4.address, prefixLength: ipv4.prefixLength }],
    gateway: ipv4.gateway,
    nameServers: ipv4.nameServers ?? [],
    domain: ipv4.domain,
  };
}

/** Wired Ethernet (and anything configured like it): static, DHCP or no IPv4. */
export function ethernetPlan(ifname: string, config: EthernetConfig): TechnologyPlan {
  const { ipv4 } = config;
  const staticIpv4 = ipv4.method === "static" ? staticSettings(ipv4) : undefined;
  const daemons: DaemonSpec[] = [];
  // Authentication first: a port that is not authorized passes no DHCP.
  if (config.ieee8021x) {
    daemons.push({ kind: "wpa_supplicant", ifname, driver: "wired", network: config.ieee8021x });
  }
  if (ipv4.method === "dhcp") daemons.push({ kind: "udhcpc", ifname, hostname: ipv4.hostname });
  return {
    up: [
      ...linkUpCommands(ifname),
      // DHCP starts from nothing; udhcpc adds the lease's address.
      { kind: "ipv4_addresses", ifname, addresses: staticIpv4?.addresses ?? [] },
    ],
    down: linkDownCommands(ifname),
    files: [],
    daemons,
    staticIpv4,
    reaches: ipv4.method === "disabled" ? "lan" : "internet",
  };
}
