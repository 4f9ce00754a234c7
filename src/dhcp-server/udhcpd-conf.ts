import { assertInterfaceName } from "../linux/interface-name.js";
import { isIpv4Address } from "../route/ipv4.js";
import { ipv4ToNumber, netmaskOf } from "./ipv4-math.js";
import { type DhcpdConfig, type DhcpdInterface, dhcpdProblems, dhcpdSchema } from "./schema.js";

/**
 * busybox udhcpd's config file and command line for one interface. The
 * keywords are busybox's (networking/udhcp/dhcpd.c, examples/udhcp/udhcpd.conf);
 * what is left out keeps udhcpd's default (offer_time 60, min_lease 60).
 */

/** A client's lease when the config names no leaseSeconds: a day (udhcpd's own default is 10 days). */
export const DEFAULT_LEASE_SECONDS = 86_400;

/**
 * How often udhcpd rewrites its lease file by itself. Debian's busybox does
 * not write it when it grants a lease (FEATURE_UDHCPD_WRITE_LEASES_EARLY is
 * off there), so the supervisor asks for a write (SIGUSR1) on each grant; the
 * timed write shows what has no log line: releases and declines. The lease
 * file is small and belongs on a tmpfs.
 */
export const DEFAULT_LEASE_WRITE_SECONDS = 30;

/**
 * How long an address stays unused after a client declined it (found it in
 * use) or after udhcpd's ARP probe found someone on it. udhcpd's default, an
 * hour, would starve a small range (a direct link has one address to give)
 * for an hour after one conflict; probing again a minute later costs little.
 */
export const RESERVE_AFTER_CONFLICT_SECONDS = 60;

/**
 * udhcpd's lease table has room for this many clients at once (36 bytes
 * each, allocated at start): a huge range must not cost megabytes.
 */
export const MAX_LEASE_TABLE = 1_024;

/**
 * How long udhcpd waits for an ARP reply before it offers an address nobody
 * claimed. Its default, 2 s, makes every new lease take seconds (3.5 s in the
 * WiFi VM lab, 1.1 s with 100 ms); a station on the link answers ARP within
 * milliseconds, and 0 would turn the conflict check off altogether.
 */
export const DEFAULT_ARP_PROBE_MS = 100;

export class UdhcpdConfigError extends TypeError {
  constructor(
    /** Dotted path of the field, e.g. `dhcpd.staticLeases.1.mac` or `leaseFile`. */
    readonly field: string,
    reason: string,
  ) {
    super(`udhcpd ${field}: ${reason}`);
    this.name = "UdhcpdConfigError";
  }
}

export interface UdhcpdConfOptions extends DhcpdInterface {
  ifname: string;
  dhcpd: DhcpdConfig;
  /** Where udhcpd keeps its leases (read back at its next start). */
  leaseFile: string;
  /** udhcpd always writes a pid file; by default in /var/run, shared with any other udhcpd. */
  pidFile: string;
  leaseWriteSeconds?: number | undefined;
}

/**
 * A path as udhcpd reads it: the rest of the line after the keyword, with
 * `#` starting a comment and surrounding blanks dropped.
 */
function assertConfPath(field: string, path: string): void {
  if (!path.startsWith("/")) throw new UdhcpdConfigError(field, "must be an absolute path");
  if (/[#\s]/.test(path)) {
    throw new UdhcpdConfigError(
      field,
      "must not contain '#' or white space (udhcpd.conf cannot quote them)",
    );
  }
}

/**
 * Checks the spec again (it becomes lines of a file a root daemon reads):
 * anything the schema refuses is refused here, naming the field.
 */
function assertValidDhcpd(dhcpd: DhcpdConfig, iface: DhcpdInterface): DhcpdConfig {
  const parsed = dhcpdSchema.safeParse(dhcpd);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw new UdhcpdConfigError(
      ["dhcpd", ...(issue?.path ?? [])].join("."),
      issue?.message ?? "invalid",
    );
  }
  const [problem] = dhcpdProblems(parsed.data, iface);
  if (problem) throw new UdhcpdConfigError(["dhcpd", ...problem.path].join("."), problem.message);
  return parsed.data;
}

/** The udhcpd.conf text for one interface; throws UdhcpdConfigError for anything invalid. */
export function udhcpdConf(options: UdhcpdConfOptions): string {
  const { ifname, address, prefixLength, leaseFile, pidFile } = options;
  assertInterfaceName(ifname);
  assertConfPath("leaseFile", leaseFile);
  assertConfPath("pidFile", pidFile);
  const leaseWriteSeconds = options.leaseWriteSeconds ?? DEFAULT_LEASE_WRITE_SECONDS;
  if (!Number.isInteger(leaseWriteSeconds) || leaseWriteSeconds < 1 || leaseWriteSeconds > 86_400) {
    // 0 would mean "never": leases would show up only when asked for.
    throw new UdhcpdConfigError("leaseWriteSeconds", "must be a whole number of seconds, 1..86400");
  }
  const dhcpd = assertValidDhcpd(options.dhcpd, { address, prefixLength });
  const { start, end, options: dhcpOptions = {} } = dhcpd;
  const rangeSize = ipv4ToNumber(end) - ipv4ToNumber(start) + 1;

  const lines = [
    `# busybox udhcpd on ${ifname}, written by statenet (rewritten at every start)`,
    `interface ${ifname}`,
    `start ${start}`,
    `end ${end}`,
    // More than the range only makes udhcpd complain and shrink it.
    `max_leases ${Math.min(rangeSize, MAX_LEASE_TABLE)}`,
    `lease_file ${leaseFile}`,
    `pidfile ${pidFile}`,
    `auto_time ${leaseWriteSeconds}`,
    `decline_time ${RESERVE_AFTER_CONFLICT_SECONDS}`,
    `conflict_time ${RESERVE_AFTER_CONFLICT_SECONDS}`,
    `opt lease ${dhcpd.leaseSeconds ?? DEFAULT_LEASE_SECONDS}`,
    // Clients would otherwise guess their netmask from the address class.
    `opt subnet ${dhcpOptions.subnet ?? netmaskOf(prefixLength)}`,
  ];
  if (dhcpOptions.router?.length) lines.push(`opt router ${dhcpOptions.router.join(" ")}`);
  if (dhcpOptions.dns?.length) lines.push(`opt dns ${dhcpOptions.dns.join(" ")}`);
  if (dhcpOptions.domain !== undefined) lines.push(`opt domain ${dhcpOptions.domain}`);
  if (dhcpOptions.search?.length) lines.push(`opt search ${dhcpOptions.search.join(" ")}`);
  if (dhcpOptions.mtu !== undefined) lines.push(`opt mtu ${dhcpOptions.mtu}`);
  for (const lease of dhcpd.staticLeases ?? []) {
    lines.push(`static_lease ${lease.mac.toLowerCase()} ${lease.address}`);
  }
  return `${lines.join("\n")}\n`;
}

export interface UdhcpdArgumentOptions {
  /** The interface's own address: udhcpd's server identifier and the source of its ARP probes. */
  address: string;
  configPath: string;
  arpProbeMs?: number | undefined;
}

/** udhcpd's command line (after `busybox udhcpd`); every flag has its reason. */
export function udhcpdArguments(options: UdhcpdArgumentOptions): string[] {
  const arpProbeMs = options.arpProbeMs ?? DEFAULT_ARP_PROBE_MS;
  if (!Number.isInteger(arpProbeMs) || arpProbeMs < 0 || arpProbeMs > 10_000) {
    throw new UdhcpdConfigError("arpProbeMs", "must be a whole number of milliseconds, 0..10000");
  }
  assertConfPath("configPath", options.configPath);
  // udhcpd would look up anything else as a host name.
  if (!isIpv4Address(options.address)) {
    throw new UdhcpdConfigError(
      "address",
      `not an IPv4 address: ${JSON.stringify(options.address)}`,
    );
  }
  return [
    // Foreground: udhcpd stays our child, so we see it die and signal it by pid.
    "-f",
    // Our address, not whatever the interface's first one is when udhcpd starts.
    "-I",
    options.address,
    "-a",
    String(arpProbeMs),
    options.configPath,
  ];
}
