import { startUdhcpcDaemon } from "../../dhcp/udhcpc-daemon.js";
import { dnsdStarter, udhcpdStarter, wifiStarter } from "../builtin-daemons.js";
import type { Technology } from "../technology.js";
import { wifiConfigSchema } from "./config.js";
import { wifiPlan } from "./plan.js";

/** WiFi client or access point: wpa_supplicant driven over its control socket. */
export const wifi: Technology<typeof wifiConfigSchema> = {
  type: "wifi",
  schema: wifiConfigSchema,
  plan: wifiPlan,
  daemons: {
    wifi: wifiStarter,
    udhcpc: startUdhcpcDaemon,
    udhcpd: udhcpdStarter,
    dnsd: dnsdStarter,
  },
};
