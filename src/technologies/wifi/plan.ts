import type { WifiTimings } from "../../../machines/wifi-timings.js";
import { configuredRouteClass } from "../../config/route-type.js";
import { dhcpServerDaemons } from "../../dhcp-server/server-plan.js";
import { dnsServerDaemons } from "../../dns-server/server-plan.js";
import { ipv4LinkPlan } from "../ip-link.js";
import type { DaemonSpec, TechnologyPlan } from "../types.js";
import type { WifiConfig } from "./config.js";
import type { WifiNetwork } from "./schema.js";

/** wpa_supplicant for one radio, driven over its control socket (see wifi-daemon.ts). */
export interface WifiDaemonSpec extends DaemonSpec {
  kind: "wifi";
  /** An access point when its one network has `mode: "ap"`. */
  mode: "client" | "ap";
  networks: WifiNetwork[];
  /** ISO country code whose channel and power rules apply; "00": the world's. */
  regulatoryDomain: string;
  /** Overrides of the WiFi machine's timings. */
  timings?: Partial<WifiTimings> | undefined;
}

export const WORLD_REGULATORY_DOMAIN = "00";

export function wifiMode(networks: readonly WifiNetwork[]): WifiDaemonSpec["mode"] {
  return networks.some((network) => network.mode === "ap") ? "ap" : "client";
}

/**
 * A WiFi interface: the radio's link and addresses as any IP link, then
 * wpa_supplicant, then the DHCP client or server. An access point is
 * LAN-only: the stations behind it are no way to the Internet.
 */
export function wifiPlan(ifname: string, config: WifiConfig): TechnologyPlan {
  const { dhcpClient, ...link } = ipv4LinkPlan(ifname, config.ipv4);
  const mode = wifiMode(config.wifi.networks);
  const supplicant: WifiDaemonSpec = {
    kind: "wifi",
    ifname,
    mode,
    networks: config.wifi.networks,
    regulatoryDomain: config.wifi.regulatoryDomain ?? WORLD_REGULATORY_DOMAIN,
    ...(config.wifi.timings && { timings: config.wifi.timings }),
  };
  return {
    ...link,
    files: [],
    daemons: [
      supplicant,
      ...dhcpClient,
      ...dhcpServerDaemons(ifname, config),
      ...dnsServerDaemons(ifname, config),
    ],
    reaches: mode === "ap" ? "lan" : link.reaches,
    routeClass: configuredRouteClass(config, "wifi"),
  };
}
