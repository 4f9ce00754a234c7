/**
 * The hosts checked when the configuration names none, as VintageNet does:
 * large anycast public DNS services, each on its TCP port 53, run by
 * different operators so that one operator's outage is not the Internet's.
 * A device whose firewall allows none of them needs `internetHosts` of its
 * own (its backend, for instance); `internetHosts: []` turns the checks off.
 */
export const DEFAULT_INTERNET_HOSTS: ReadonlyArray<{
  readonly host: string;
  readonly port: number;
}> = Object.freeze([
  { host: "1.1.1.1", port: 53 }, // Cloudflare
  { host: "8.8.8.8", port: 53 }, // Google Public DNS
  { host: "9.9.9.9", port: 53 }, // Quad9
  { host: "208.67.222.222", port: 53 }, // OpenDNS (Cisco)
  { host: "156.154.70.5", port: 53 }, // UltraDNS (Neustar, now Vercara)
]);
