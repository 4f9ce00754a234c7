import { z } from "zod";
import { connectivitySchema } from "../../config/connectivity-schema.js";
import { ipv4Schema } from "../../config/ipv4-schema.js";
import { routeTypeSchema } from "../../config/route-type.js";
import { dhcpdSchema } from "../../dhcp-server/schema.js";
import { checkDhcpServer } from "../../dhcp-server/server-plan.js";
import { checkDnsServer, dnsdSchema } from "../../dns-server/schema.js";
import { ieee8021xSchema } from "../../ieee8021x/schema.js";

export const ethernetConfigSchema = z
  .strictObject({
    type: z.literal("ethernet"),
    ipv4: ipv4Schema,
    ieee8021x: ieee8021xSchema.optional(),
    /** Serve addresses to the link's peers (VintageNet's `dhcpd`); needs a static address. */
    dhcpd: dhcpdSchema.optional(),
    /** Answer DNS queries for these names on the static address (VintageNet's `dnsd`). */
    dnsd: dnsdSchema.optional(),
    connectivity: connectivitySchema.optional(),
    /** Where its default route ranks, when not the technology's class (see route-type.ts). */
    routeType: routeTypeSchema.optional(),
  })
  .check(checkDhcpServer)
  .check(checkDnsServer);

export type EthernetConfig = z.infer<typeof ethernetConfigSchema>;
