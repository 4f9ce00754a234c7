import { hostname as systemHostname } from "node:os";
import { dnsdStarter, udhcpdStarter } from "../builtin-daemons.js";
import type { Technology } from "../technology.js";
import { directPlan } from "./plan.js";
import { directConfigSchema } from "./schema.js";

export interface DirectTechnologyOptions {
  /** The device's host name, read at every plan (it may change while running). */
  hostname: () => string;
}

/** A link to one peer (VintageNetDirect): a fixed pair of addresses, a DHCP server for the peer. */
export function directTechnology(
  options: DirectTechnologyOptions,
): Technology<typeof directConfigSchema> {
  return {
    type: "direct",
    schema: directConfigSchema,
    plan: (ifname, config) => directPlan(ifname, config, options.hostname()),
    daemons: { udhcpd: udhcpdStarter, dnsd: dnsdStarter },
  };
}

/** The direct technology with the system's host name. */
export const direct = directTechnology({ hostname: systemHostname });
