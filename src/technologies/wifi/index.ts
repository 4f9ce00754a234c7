import { startUdhcpcDaemon } from "../../dhcp/udhcpc-daemon.js";
import { startUdhcpdDaemon } from "../../dhcp-server/udhcpd-daemon.js";
import { startDnsdDaemon } from "../../dns-server/dnsd-daemon.js";
import type { Technology } from "../technology.js";
import { wifiConfigSchema } from "./config.js";
import { wifiPlan } from "./plan.js";
import { startWifiDaemon } from "./wifi-daemon.js";

/** WiFi client or access point: wpa_supplicant driven over its control socket. */
export const wifi: Technology<typeof wifiConfigSchema> = {
  type: "wifi",
  schema: wifiConfigSchema,
  plan: wifiPlan,
  daemons: {
    wifi: startWifiDaemon,
    udhcpc: startUdhcpcDaemon,
    udhcpd: startUdhcpdDaemon,
    dnsd: startDnsdDaemon,
  },
};
