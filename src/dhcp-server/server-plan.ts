import type { z } from "zod";
import type { Ipv4Config } from "../config/ipv4-schema.js";
import type { DnsdConfig } from "../dns-server/schema.js";
import { advertisedNameServers } from "../dns-server/server-plan.js";
import { type DhcpdConfig, dhcpdProblems } from "./schema.js";
import type { UdhcpdDaemonSpec } from "./udhcpd.js";

/** The part of an interface config that decides a DHCP server: its `ipv4` and `dhcpd` keys. */
export interface ServedInterfaceConfig {
  ipv4: Ipv4Config;
  dhcpd?: DhcpdConfig | undefined;
  /** A DNS server on the interface: clients are told of it unless `dhcpd.options.dns` says otherwise. */
  dnsd?: DnsdConfig | undefined;
}

/**
 * For a config schema's `.check`: a `dhcpd` needs a static address on the
 * interface, and its range must fit that address's subnet.
 */
export function checkDhcpServer(context: z.core.ParsePayload<ServedInterfaceConfig>): void {
  const { ipv4, dhcpd } = context.value;
  if (dhcpd === undefined) return;
  if (ipv4.method !== "static") {
    context.issues.push({
      code: "custom",
      input: dhcpd,
      path: ["dhcpd"],
      message: "needs ipv4.method static: a DHCP server hands out addresses of its own subnet",
    });
    return;
  }
  for (const problem of dhcpdProblems(dhcpd, ipv4)) {
    context.issues.push({
      code: "custom",
      input: dhcpd,
      path: ["dhcpd", ...problem.path],
      message: problem.message,
    });
  }
}

/** The DHCP server a config asks for, as a plan's daemon. */
export function dhcpServerDaemons(
  ifname: string,
  config: ServedInterfaceConfig,
): UdhcpdDaemonSpec[] {
  const { ipv4, dhcpd } = config;
  if (dhcpd === undefined || ipv4.method !== "static") return [];
  const dns =
    dhcpd.options?.dns === undefined ? advertisedNameServers(config.dnsd, ipv4.address) : undefined;
  const served: DhcpdConfig =
    dns === undefined ? dhcpd : { ...dhcpd, options: { ...dhcpd.options, dns } };
  return [
    {
      kind: "udhcpd",
      ifname,
      dhcpd: served,
      address: ipv4.address,
      prefixLength: ipv4.prefixLength,
    },
  ];
}
