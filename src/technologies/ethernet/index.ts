import { startUdhcpcDaemon } from "../../dhcp/udhcpc-daemon.js";
import { dnsdStarter, udhcpdStarter, wiredSupplicantStarter } from "../builtin-daemons.js";
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
    udhcpd: udhcpdStarter,
    dnsd: dnsdStarter,
    wpa_supplicant: wiredSupplicantStarter,
  },
};
