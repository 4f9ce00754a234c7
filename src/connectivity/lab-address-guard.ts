import { BlockList, isIP } from "node:net";
import type { ProbeRequest } from "./tcp-probe.js";

/**
 * Tests, demos and benchmarks (STATENET_REQUIRE_NETNS=1) must never probe
 * the Internet: a configuration that forgot its lab hosts would otherwise
 * send the default hosts' probes (public DNS services) from a lab. Under that
 * variable a probe may only reach loopback and the ranges the labs use, and
 * any other address fails the probe loudly instead of leaving the machine.
 */

/** Loopback, the documentation ranges (RFC 5737, RFC 3849) and the benchmarking range (RFC 2544) the labs route. */
export const LAB_PROBE_RANGES = [
  "127.0.0.0/8",
  "192.0.2.0/24",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "198.18.0.0/15",
  "::1/128",
  "2001:db8::/32",
] as const;

/** Built on first use: a BlockList costs milliseconds of every `import("statenet")`. */
let labRanges: BlockList | undefined;
function allowed(): BlockList {
  if (labRanges) return labRanges;
  labRanges = new BlockList();
  for (const range of LAB_PROBE_RANGES) {
    const [network, prefix] = range.split("/") as [string, string];
    labRanges.addSubnet(network, Number(prefix), isIP(network) === 6 ? "ipv6" : "ipv4");
  }
  return labRanges;
}

export class PublicProbeRefusedError extends Error {
  /** What the probe would have reached, e.g. `probe target 1.1.1.1:53`. */
  readonly target: string;

  constructor(target: string) {
    super(
      `refusing to probe ${target}: STATENET_REQUIRE_NETNS=1 is set, so probes may only reach ${LAB_PROBE_RANGES.join(", ")}; give the configuration internetHosts in the lab (or internetHosts: [] for no checks)`,
    );
    this.name = "PublicProbeRefusedError";
    this.target = target;
  }
}

export const labOnly = (env: NodeJS.ProcessEnv = process.env) => env.STATENET_REQUIRE_NETNS === "1";

/** Whether an address (IPv4, IPv6 or IPv4-mapped) lies in the lab ranges. */
export function isLabAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return allowed().check(address, family === 6 ? "ipv6" : "ipv4");
}

/** The address of a name server entry as `setServers` takes it: `a.b.c.d`, `a.b.c.d:port`, `[v6]:port` or `v6`. */
function nameServerAddress(server: string): string {
  if (isIP(server) !== 0) return server;
  const bracketed = /^\[([^\]]+)\]:\d+$/.exec(server);
  if (bracketed) return bracketed[1] as string;
  const withPort = /^([^:]+):\d+$/.exec(server);
  return withPort ? (withPort[1] as string) : server;
}

/** Throws PublicProbeRefusedError for an address outside the lab ranges, when lab-only. */
export function assertLabAddress(
  address: string,
  what: string,
  env: NodeJS.ProcessEnv = process.env,
): void {
  if (labOnly(env) && !isLabAddress(address)) throw new PublicProbeRefusedError(what);
}

/**
 * Checks what a probe request would reach before anything is sent: each
 * target given as an address, and the name servers when a name must be
 * resolved. Resolved names are checked again before their connect.
 */
export function assertLabProbeRequest(
  request: Pick<ProbeRequest, "targets" | "nameServers">,
  env: NodeJS.ProcessEnv = process.env,
): void {
  if (!labOnly(env)) return;
  let resolves = false;
  for (const { host, port } of request.targets) {
    if (isIP(host) === 0) resolves = true;
    else assertLabAddress(host, `probe target ${host}:${port}`, env);
  }
  if (!resolves) return;
  for (const server of request.nameServers) {
    assertLabAddress(nameServerAddress(server), `name server ${server}`, env);
  }
}
