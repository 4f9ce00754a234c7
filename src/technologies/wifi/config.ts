import { z } from "zod";
import { connectivitySchema } from "../../config/connectivity-schema.js";
import { ipv4Schema } from "../../config/ipv4-schema.js";
import { routeTypeSchema } from "../../config/route-type.js";
import { dhcpdSchema } from "../../dhcp-server/schema.js";
import { checkDhcpServer } from "../../dhcp-server/server-plan.js";
import { checkDnsServer, dnsdSchema } from "../../dns-server/schema.js";
import { wifiSettingsSchema } from "./schema.js";

/** `{"type": "wifi", "wifi": {"networks": […]}, "ipv4": {…}}`, as VintageNetWiFi has it. */
export const wifiConfigSchema = z
  .strictObject({
    type: z.literal("wifi"),
    wifi: wifiSettingsSchema,
    ipv4: ipv4Schema,
    /** A DHCP server for the stations of an access point (or peers of an ad-hoc link). */
    dhcpd: dhcpdSchema.optional(),
    /** Answer DNS queries for these names on the static address (VintageNet's `dnsd`). */
    dnsd: dnsdSchema.optional(),
    connectivity: connectivitySchema.optional(),
    /** Where its default route ranks, when not the technology's class (see route-type.ts). */
    routeType: routeTypeSchema.optional(),
  })
  .check(checkDhcpServer)
  .check(checkDnsServer);

export type WifiConfig = z.infer<typeof wifiConfigSchema>;
