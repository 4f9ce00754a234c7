import { z } from "zod";
import { DNS_NAME } from "../config/dns-name.js";
import type { Ipv4Config } from "../config/ipv4-schema.js";

/**
 * The `dnsd` key of a static Ethernet, WiFi access-point or direct-link
 * configuration (VintageNet's): a small DNS server on the interface's own
 * address that answers A records for these names (see responder.ts for what
 * it answers otherwise). VintageNet's defaults: port 53, a TTL of 120 s.
 */

const ipv4Address = z.ipv4({
  error: (issue) =>
    issue.input === undefined
      ? "is required: an IPv4 address"
      : `not an IPv4 address: ${JSON.stringify(issue.input)}`,
});

export const DEFAULT_DNS_TTL_SECONDS = 120;
export const DEFAULT_DNS_PORT = 53;
/** Every name's answer must fit one 512-byte UDP response; a device has a handful. */
export const MAX_DNS_RECORDS = 64;

export const dnsRecordSchema = z.strictObject({
  /** A host name, e.g. `printer.lan`; answered whatever case a client asks in. */
  name: z
    .string({ error: "is required: a host name such as printer.lan" })
    .regex(
      DNS_NAME,
      "must be a host name: letters, digits and inner hyphens in dot-separated labels",
    ),
  address: ipv4Address,
});

export const dnsdSchema = z.strictObject({
  /** A records; a name listed twice has both addresses. */
  records: z
    .array(dnsRecordSchema)
    .max(MAX_DNS_RECORDS, `must list at most ${MAX_DNS_RECORDS} records`)
    .optional(),
  /** How long clients may cache an answer, in seconds; 120 by default. */
  ttl: z
    .number()
    .int("must be a whole number of seconds")
    .min(0, "must be 0..604800 (up to a week)")
    .max(604_800, "must be 0..604800 (up to a week)")
    .optional(),
  /** The UDP port; 53 by default. DHCP clients are told of the server only on 53. */
  port: z
    .number()
    .int("must be an integer")
    .min(1, "must be 1..65535")
    .max(65535, "must be 1..65535")
    .optional(),
});

export type DnsdConfig = z.infer<typeof dnsdSchema>;
export type DnsRecordConfig = z.infer<typeof dnsRecordSchema>;

/** The part of an interface config that decides a DNS server: its `ipv4` and `dnsd` keys. */
export interface NamedInterfaceConfig {
  ipv4: Ipv4Config;
  dnsd?: DnsdConfig | undefined;
}

/**
 * For a static Ethernet or WiFi config schema's `.check`: `dnsd` needs a
 * static address to listen on, and names to answer (VintageNet requires
 * `records` too; a direct link always answers its own name instead).
 */
export function checkDnsServer(context: z.core.ParsePayload<NamedInterfaceConfig>): void {
  const { ipv4, dnsd } = context.value;
  if (dnsd === undefined) return;
  if (ipv4.method !== "static") {
    context.issues.push({
      code: "custom",
      input: dnsd,
      path: ["dnsd"],
      message: "needs ipv4.method static: the DNS server listens on the interface's own address",
    });
  }
  if (!dnsd.records?.length) {
    context.issues.push({
      code: "custom",
      input: dnsd,
      path: ["dnsd", "records"],
      message: "is required: at least one {name, address} to answer",
    });
  }
}
