import { startUdhcpcDaemon } from "../../dhcp/udhcpc-daemon.js";
import { startUdhcpdDaemon } from "../../dhcp-server/udhcpd-daemon.js";
import { startDnsdDaemon } from "../../dns-server/dnsd-daemon.js";
import { startWiredSupplicantDaemon } from "../../ieee8021x/wired-supplicant-daemon.js";
import type { Technology } from "../technology.js";
import { ethernetPlan } from "./plan.js";
import { ethernetConfigSchema } from "./schema.js";

/** Wired Ethernet: static, DHCP or no IPv4, optionally behind 802.1X. */
export const ethernet: Technology<typeof ethernetConfigSchema> = {
  type: "ethernet",
  schema: ethernetConfigSchema,
  plan: ethernetPlan,
  daemons: {
    udhcpc: startUdhcpcDaemon,
    udhcpd: startUdhcpdDaemon,
    dnsd: startDnsdDaemon,
    wpa_supplicant: startWiredSupplicantDaemon,
  },
};
