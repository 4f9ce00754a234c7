import type { Ipv4Config, StaticIpv4Config } from "../config/ipv4-schema.js";
import type { UdhcpcDaemonSpec } from "../dhcp/udhcpc-daemon.js";
import type { InterfaceCommand, Ipv4Settings, TechnologyPlan } from "./types.js";

/** What every technology that carries IPv4 on a kernel link shares: the link and its addresses. */

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

function staticSettings(ipv4: StaticIpv4Config): Ipv4Settings {
  return {
    addresses: [{ address: ipv4.address, prefixLength: ipv4.prefixLength }],
    gateway: ipv4.gateway,
    nameServers: ipv4.nameServers ?? [],
    domain: ipv4.domain,
  };
}

/** The part of a plan that an `ipv4` block decides. */
export type Ipv4Plan = Pick<TechnologyPlan, "up" | "down" | "staticIpv4" | "reaches"> & {
  /** The DHCP client, when the addresses come from a lease; it runs after the link's own daemons. */
  dhcpClient: UdhcpcDaemonSpec[];
};

/**
 * What a link with this IPv4 can reach: without addresses, or with static
 * ones and no gateway, nothing beyond the LAN, so no connectivity check
 * (it could never succeed); carrier and the address make it `lan`.
 */
function reachOf(ipv4: Ipv4Config): TechnologyPlan["reaches"] {
  if (ipv4.method === "disabled") return "lan";
  if (ipv4.method === "static" && ipv4.gateway === undefined) return "lan";
  return "internet";
}

/** A link brought up with static, leased or no IPv4 addresses. */
export function ipv4LinkPlan(ifname: string, ipv4: Ipv4Config): Ipv4Plan {
  const staticIpv4 = ipv4.method === "static" ? staticSettings(ipv4) : undefined;
  return {
    up: [
      ...linkUpCommands(ifname),
      // DHCP starts from nothing; udhcpc adds the lease's address.
      { kind: "ipv4_addresses", ifname, addresses: staticIpv4?.addresses ?? [] },
    ],
    down: linkDownCommands(ifname),
    staticIpv4,
    reaches: reachOf(ipv4),
    dhcpClient:
      ipv4.method === "dhcp"
        ? [
            {
              kind: "udhcpc",
              ifname,
              hostname: ipv4.hostname,
              requestOptions: ipv4.dhcpRequestOptions,
            },
          ]
        : [],
  };
}
