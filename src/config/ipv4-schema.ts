import { z } from "zod";
import {
  DHCP_HOSTNAME,
  MAX_OPTION_CODE,
  MIN_OPTION_CODE,
  UDHCPC_OPTION_NAMES,
} from "../dhcp/udhcpc-options.js";
import { isIpv4Address, isPrefixLength, netmaskPrefixLength } from "../route/ipv4.js";
import { DNS_NAME } from "./dns-name.js";
import { ipv4Address, prefixLength } from "./fields.js";
import { gatewayProblem } from "./gateway.js";

/** An interface's IPv4: static, from DHCP, or none (any technology that carries IP). */

const netmask = z.string().check((context) => {
  const mask = context.value;
  if (!isIpv4Address(mask)) {
    context.issues.push({
      code: "custom",
      input: mask,
      message: `not a netmask: ${JSON.stringify(mask)}`,
    });
  } else if (netmaskPrefixLength(mask) === undefined) {
    context.issues.push({
      code: "custom",
      input: mask,
      message: `not a contiguous netmask: ${mask} (its ones come first, as in 255.255.255.0)`,
    });
  }
});

/** One server or a list, as VintageNet takes it; the parsed config always has a list. */
const nameServers = z.union([ipv4Address, z.array(ipv4Address)], {
  error: (issue) =>
    issue.code === "invalid_union" ? "must be an IPv4 address or a list of them" : undefined,
});

const staticIpv4Fields = z.strictObject({
  method: z.literal("static"),
  address: ipv4Address,
  /** The subnet's size in bits; `netmask` says the same the old way. Give exactly one. */
  prefixLength: prefixLength.optional(),
  /** `255.255.255.0`: becomes `prefixLength` when parsed. */
  netmask: netmask.optional(),
  /** On the address's subnet: the kernel has no route to any other. Without one the link is LAN-only. */
  gateway: ipv4Address.optional(),
  nameServers: nameServers.optional(),
  domain: z.string().regex(DNS_NAME, "must be a domain name").optional(),
});

/**
 * Static IPv4 as given (a netmask or a prefix length, one name server or a
 * list), normalized to one form: the parsed config has `prefixLength` and a
 * list, so persistence, `interface/<if>/config` and every plan see only that.
 */
export const staticIpv4Schema = staticIpv4Fields
  .check((context) => {
    const { prefixLength, netmask } = context.value;
    if (prefixLength === undefined && netmask === undefined) {
      context.issues.push({
        code: "custom",
        input: context.value,
        path: ["prefixLength"],
        message: "required: prefixLength (e.g. 24) or netmask (e.g. 255.255.255.0)",
      });
    } else if (prefixLength !== undefined && netmask !== undefined) {
      context.issues.push({
        code: "custom",
        input: netmask,
        path: ["netmask"],
        message: "give prefixLength or netmask, not both",
      });
    }
  })
  .transform(({ netmask, prefixLength, nameServers, ...rest }) => ({
    ...rest,
    // The checks above leave exactly one of them, and a netmask that has a length.
    prefixLength: prefixLength ?? (netmaskPrefixLength(netmask ?? "") as number),
    ...(nameServers === undefined
      ? {}
      : { nameServers: typeof nameServers === "string" ? [nameServers] : nameServers }),
  }))
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

const OPTION_RANGE = `${MIN_OPTION_CODE}..${MAX_OPTION_CODE}`;
const unknownOption = (input: unknown) =>
  `not an option udhcpc knows: ${JSON.stringify(input)}; give one of its names (${UDHCPC_OPTION_NAMES.join(", ")}) or a number ${OPTION_RANGE}`;

/** udhcpc exits on a name it does not know: only its own names pass, or plain option numbers. */
const dhcpRequestOption = z.union(
  [
    z.enum(UDHCPC_OPTION_NAMES),
    z
      .number()
      .int(`must be an option number ${OPTION_RANGE}`)
      .min(MIN_OPTION_CODE, `must be an option number ${OPTION_RANGE}`)
      .max(MAX_OPTION_CODE, `must be an option number ${OPTION_RANGE}`),
  ],
  { error: (issue) => (issue.code === "invalid_union" ? unknownOption(issue.input) : undefined) },
);

export const dhcpIpv4Schema = z.strictObject({
  method: z.literal("dhcp"),
  /** Sent to the DHCP server (option 12). */
  hostname: z
    .string()
    .regex(
      DHCP_HOSTNAME,
      "must be a host name: letters, digits, - and _ in dot-separated labels of 1..63, not starting with -, at most 254 in all",
    )
    .optional(),
  /**
   * Options to ask the server for beyond udhcpc's own (udhcpc `-O`); what it
   * sends is in `interface/<if>/dhcp_options`. Asking changes the request,
   * which some networks use to tell clients apart.
   */
  dhcpRequestOptions: z.array(dhcpRequestOption).optional(),
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
export type DhcpIpv4Config = z.infer<typeof dhcpIpv4Schema>;
