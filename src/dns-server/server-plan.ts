import type { DnsdDaemonSpec } from "./dnsd.js";
import type { DnsAddressRecord } from "./responder.js";
import {
  DEFAULT_DNS_PORT,
  DEFAULT_DNS_TTL_SECONDS,
  type DnsdConfig,
  type NamedInterfaceConfig,
} from "./schema.js";

/** The DNS server on `address`, as a plan's daemon; `extraRecords` come after the configured ones. */
export function dnsdDaemon(
  ifname: string,
  address: string,
  dnsd: DnsdConfig,
  extraRecords: readonly DnsAddressRecord[] = [],
): DnsdDaemonSpec {
  return {
    kind: "dnsd",
    ifname,
    address,
    port: dnsd.port ?? DEFAULT_DNS_PORT,
    ttlSeconds: dnsd.ttl ?? DEFAULT_DNS_TTL_SECONDS,
    records: [...(dnsd.records ?? []), ...extraRecords],
  };
}

/** The DNS server a static config asks for (none without a static address). */
export function dnsServerDaemons(ifname: string, config: NamedInterfaceConfig): DnsdDaemonSpec[] {
  const { ipv4, dnsd } = config;
  if (dnsd === undefined || ipv4.method !== "static") return [];
  return [dnsdDaemon(ifname, ipv4.address, dnsd)];
}

/**
 * The name server DHCP clients are told of when nothing else is configured:
 * the interface itself, when it runs a DNS server on the standard port
 * (DHCP cannot say "port 5353"). VintageNet leaves that to the `dhcpd`
 * options; statenet fills it in, since a server no client is told of
 * answers nobody. An explicit `options.dns`, even `[]`, wins.
 */
export function advertisedNameServers(
  dnsd: DnsdConfig | undefined,
  address: string,
): string[] | undefined {
  if (dnsd === undefined || (dnsd.port ?? DEFAULT_DNS_PORT) !== DEFAULT_DNS_PORT) return undefined;
  return [address];
}
