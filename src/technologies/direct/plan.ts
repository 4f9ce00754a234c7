import { isDnsName } from "../../config/dns-name.js";
import type { StaticIpv4Config } from "../../config/ipv4-schema.js";
import { dhcpServerDaemons } from "../../dhcp-server/server-plan.js";
import { dnsdDaemon } from "../../dns-server/server-plan.js";
import { interfaceTypeFromName } from "../../route/interface-type.js";
import { ipv4LinkPlan } from "../ip-link.js";
import type { TechnologyPlan } from "../types.js";
import type { DirectConfig } from "./schema.js";
import { type DirectAddresses, derivedDirectAddresses, explicitDirectAddresses } from "./subnet.js";

/** The link's two addresses: as configured, or derived from the device's name. */
export function directAddresses(
  ifname: string,
  config: DirectConfig,
  hostname: string,
): DirectAddresses {
  const { address, prefixLength } = config.direct ?? {};
  return address === undefined
    ? derivedDirectAddresses(hostname, ifname)
    : explicitDirectAddresses(address, prefixLength ?? 30);
}

/**
 * A direct link: the device's static address, busybox udhcpd handing the
 * one peer the other address (no router: the peer must not route through
 * the device), and the DNS server when `dnsd` is on. LAN-only: no gateway,
 * so never a default route, and `lan` as soon as it has carrier (the peer
 * is there) and its address. udhcpd forgets its lease when the cable is
 * pulled: it has one address, and the machine plugged in next (another
 * laptop, the same one with a new USB MAC) must get it.
 */
export function directPlan(
  ifname: string,
  config: DirectConfig,
  systemHostname: string,
): TechnologyPlan {
  const hostname = config.direct?.hostname ?? systemHostname;
  const addresses = directAddresses(ifname, config, hostname);
  const ipv4: StaticIpv4Config = {
    method: "static",
    address: addresses.address,
    prefixLength: addresses.prefixLength,
  };
  const { dhcpClient: _none, ...link } = ipv4LinkPlan(ifname, ipv4);
  const dhcpd = { start: addresses.peer, end: addresses.peer };
  // A system host name that is no DNS name (an underscore in it) cannot be answered;
  // a record of the same name says what to answer instead.
  const named = (config.dnsd?.records ?? []).some(
    (record) => record.name.toLowerCase() === hostname.toLowerCase(),
  );
  const ownName =
    isDnsName(hostname) && !named ? [{ name: hostname, address: addresses.address }] : [];
  return {
    ...link,
    files: [],
    daemons: [
      ...dhcpServerDaemons(ifname, { ipv4, dhcpd, dnsd: config.dnsd }).map((spec) => ({
        ...spec,
        forgetLeasesOnCarrierLoss: true,
      })),
      ...(config.dnsd ? [dnsdDaemon(ifname, addresses.address, config.dnsd, ownName)] : []),
    ],
    reaches: "lan",
    routeClass: interfaceTypeFromName(ifname),
  };
}
