import { z } from "zod";
import { DNS_NAME } from "../../config/dns-name.js";
import { dnsdSchema } from "../../dns-server/schema.js";
import { isHostAddress, isIpv4Address } from "../../route/ipv4.js";
import { directAddressProblem } from "./subnet.js";

/**
 * `{"type": "direct"}`: a link to exactly one peer (a USB gadget's `usb0`, a
 * cable to a laptop), as VintageNetDirect has it. Optional:
 *
 * - `direct.address` (+ `prefixLength`, 30 by default, or 31): the device's
 *   address; the peer gets the pair's other one. Without it, a /30 derived
 *   from the host name (see subnet.ts).
 * - `direct.hostname`: the device's name on the link, in place of the
 *   system's host name: it picks the derived /30 (VintageNetDirect's
 *   option) and is the name the DNS server answers.
 * - `dnsd`: a DNS server on the device's address answering its own name
 *   (and any `records`); off by default, as VintageNetDirect runs none. The
 *   peer is then told, by DHCP, to use it.
 */

const directSettingsSchema = z
  .strictObject({
    address: z
      .ipv4({ error: (issue) => `not an IPv4 address: ${JSON.stringify(issue.input)}` })
      .optional(),
    prefixLength: z
      .union([z.literal(30), z.literal(31)], {
        error: "must be 30 or 31: a direct link has two addresses, the device's and its one peer's",
      })
      .optional(),
    hostname: z
      .string()
      .regex(
        DNS_NAME,
        "must be a host name: letters, digits and inner hyphens in dot-separated labels",
      )
      .optional(),
  })
  .check((context) => {
    const { address, prefixLength } = context.value;
    if (address === undefined) {
      if (prefixLength !== undefined) {
        context.issues.push({
          code: "custom",
          input: context.value,
          path: ["address"],
          message: "is required with prefixLength: the device's address on the link",
        });
      }
      return;
    }
    if (!isIpv4Address(address)) return;
    const problem = isHostAddress(address)
      ? directAddressProblem(address, prefixLength ?? 30)
      : "must be a unicast host address (not 0.x, 127.x or multicast)";
    if (problem)
      context.issues.push({ code: "custom", input: address, path: ["address"], message: problem });
  });

export const directConfigSchema = z.strictObject({
  type: z.literal("direct"),
  direct: directSettingsSchema.optional(),
  /** A DNS server on the link; `{}` answers the device's own name. */
  dnsd: dnsdSchema.optional(),
});

export type DirectConfig = z.infer<typeof directConfigSchema>;
