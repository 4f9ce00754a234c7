/**
 * resolv.conf from the interfaces' name servers: pure, so the ordering rules
 * are tested without files.
 */

export interface InterfaceNameServers {
  ifname: string;
  nameServers: readonly string[];
  domain?: string | undefined;
  /** The domain search list (DHCP option 119), after the domain. */
  search?: readonly string[] | undefined;
}

/**
 * glibc before 2.26 reads at most six search domains (and 256 characters):
 * later ones would be dropped silently on older devices, so statenet keeps
 * the six that matter most.
 */
export const MAX_SEARCH_DOMAINS = 6;

/** One server and the interfaces that gave it, as published in `name_servers`. */
export interface NameServer {
  address: string;
  from: string[];
}

/** Interfaces in route priority: those in `interfaceOrder` first, in that order, then the rest by name. */
function byRoutePriority(
  interfaces: readonly InterfaceNameServers[],
  interfaceOrder: readonly string[],
): InterfaceNameServers[] {
  const rank = (ifname: string) => {
    const index = interfaceOrder.indexOf(ifname);
    return index === -1 ? interfaceOrder.length : index;
  };
  return [...interfaces].sort(
    (a, b) => rank(a.ifname) - rank(b.ifname) || a.ifname.localeCompare(b.ifname),
  );
}

/** The interfaces' servers in route priority, then the additional ones; each address once, where it first appears. */
export function orderNameServers(
  interfaces: readonly InterfaceNameServers[],
  interfaceOrder: readonly string[],
  additional: readonly string[],
): NameServer[] {
  const servers = new Map<string, NameServer>();
  const add = (address: string, from: string) => {
    const known = servers.get(address);
    if (!known) servers.set(address, { address, from: [from] });
    else if (!known.from.includes(from)) known.from.push(from);
  };
  for (const entry of byRoutePriority(interfaces, interfaceOrder)) {
    for (const address of entry.nameServers) add(address, entry.ifname);
  }
  for (const address of additional) add(address, "additional");
  return [...servers.values()];
}

/** Search domains in route priority (each interface's domain, then its search list), each once, at most six. */
export function searchDomains(
  interfaces: readonly InterfaceNameServers[],
  interfaceOrder: readonly string[],
): string[] {
  const domains = byRoutePriority(interfaces, interfaceOrder).flatMap((entry) => [
    ...(entry.domain ? [entry.domain] : []),
    ...(entry.search ?? []),
  ]);
  return [...new Set(domains)].slice(0, MAX_SEARCH_DOMAINS);
}

export function resolvConfText(servers: readonly NameServer[], domains: readonly string[]): string {
  const lines = ["# Written by statenet; local changes are overwritten."];
  if (domains.length > 0) lines.push(`search ${domains.join(" ")}`);
  for (const server of servers) lines.push(`nameserver ${server.address}`);
  return `${lines.join("\n")}\n`;
}
