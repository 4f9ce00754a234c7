import { configuredRouteClass } from "../../config/route-type.js";
import { dhcpServerDaemons } from "../../dhcp-server/server-plan.js";
import { dnsServerDaemons } from "../../dns-server/server-plan.js";
import type { Ieee8021xConfig } from "../../ieee8021x/schema.js";
import { interfaceTypeFromName } from "../../route/interface-type.js";
import type { InterfaceType } from "../../route/types.js";
import { ipv4LinkPlan } from "../ip-link.js";
import type { DaemonSpec, TechnologyPlan } from "../types.js";
import type { EthernetConfig } from "./schema.js";

/** Wired 802.1X: authenticates the port; its config file is written when it starts. */
export interface WiredSupplicantSpec extends DaemonSpec {
  kind: "wpa_supplicant";
  driver: "wired";
  network: Ieee8021xConfig;
}

/**
 * The ethernet technology also addresses links that something else brings
 * up (a modem's `wwan0`, a `wlan0` whose radio another program runs), so
 * their name still ranks them; anything else ranks as wired.
 */
function routeClassOf(ifname: string): InterfaceType {
  const named = interfaceTypeFromName(ifname);
  return named === "unknown" ? "ethernet" : named;
}

/** Wired Ethernet (and anything configured like it): static, DHCP or no IPv4. */
export function ethernetPlan(ifname: string, config: EthernetConfig): TechnologyPlan {
  const { dhcpClient, ...link } = ipv4LinkPlan(ifname, config.ipv4);
  // Authentication first: a port that is not authorized passes no DHCP.
  const authentication: WiredSupplicantSpec[] = config.ieee8021x
    ? [{ kind: "wpa_supplicant", ifname, driver: "wired", network: config.ieee8021x }]
    : [];
  return {
    ...link,
    files: [],
    daemons: [
      ...authentication,
      ...dhcpClient,
      ...dhcpServerDaemons(ifname, config),
      ...dnsServerDaemons(ifname, config),
    ],
    routeClass: configuredRouteClass(config, routeClassOf(ifname)),
  };
}
