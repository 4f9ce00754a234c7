import { z } from "zod";
import { isIpv4Address, isPrefixLength } from "../route/ipv4.js";
import { DNS_NAME } from "./dns-name.js";
import { ipv4Address, prefixLength } from "./fields.js";
import { gatewayProblem } from "./gateway.js";

/** An interface's IPv4: static, from DHCP, or none (any technology that carries IP). */

export const staticIpv4Schema = z
  .strictObject({
    method: z.literal("static"),
    address: ipv4Address,
    prefixLength,
    /** On the address's subnet: the kernel has no route to any other. */
    gateway: ipv4Address.optional(),
    nameServers: z.array(ipv4Address).optional(),
    domain: z.string().regex(DNS_NAME, "must be a domain name").optional(),
  })
  .check((context) => {
    const { address, prefixLength, gateway } = context.value;
    // A malformed field has its own issue already; the relation is only checked between good ones.
    if (gateway === undefined || !isIpv4Address(address) || !isIpv4Address(gateway)) return;
    if (!isPrefixLength(prefixLength)) return;
    const problem = gatewayProblem(address, prefixLength, gateway);
    if (problem) {
      context.issues.push({ code: "custom", input: gateway, path: ["gateway"], message: problem });
    }
  });

export const dhcpIpv4Schema = z.strictObject({
  method: z.literal("dhcp"),
  /** Sent to the DHCP server (option 12). */
  hostname: z.string().regex(DNS_NAME, "must be a host name").optional(),
});

export const disabledIpv4Schema = z.strictObject({ method: z.literal("disabled") });

export const ipv4Schema = z.discriminatedUnion(
  "method",
  [staticIpv4Schema, dhcpIpv4Schema, disabledIpv4Schema],
  {
    error: (issue) =>
      issue.code === "invalid_union" ? "must be dhcp, static or disabled" : undefined,
  },
);

export type Ipv4Config = z.infer<typeof ipv4Schema>;
export type StaticIpv4Config = z.infer<typeof staticIpv4Schema>;
