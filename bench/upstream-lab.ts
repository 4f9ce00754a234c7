import { DaemonLab, type DaemonLabOptions } from "../demo/daemon-lab.js";
import type { Lab } from "../lab/namespace-lab.js";

/**
 * What the upstream benchmarks share: the one probe host behind every
 * uplink's router, the daemon at its defaults (no connectivity settings in
 * its file), and waits on what it logs.
 */

export const INTERNET_HOST = "203.0.113.53";

export type Uplinks = DaemonLabOptions["uplinks"];

/** Static addresses: no DHCP traffic beside the probes. wlan0 ranks as WiFi by its name. */
export const WIRED_AND_WIFI: Uplinks = [
  { ifname: "eth0", ipv4: "static" },
  { ifname: "wlan0", ipv4: "static" },
];

/**
 * Two mobile-class uplinks (their names make them mobile: MOBILE defaults,
 * ranked after wired and WiFi), wwan0 before wwan1 by its weight: a
 * dual-SIM router.
 */
export const TWO_MOBILE: Uplinks = [
  { ifname: "wwan0", ipv4: "static" },
  { ifname: "wwan1", ipv4: "static" },
];

/**
 * Runs `body` with the daemon at its default timings in a fresh lab; the lab
 * goes whatever happens, and a daemon that does not exit 0 fails the run.
 */
export async function withDaemon<T>(
  uplinks: Uplinks,
  logLevel: "info" | "debug",
  body: (daemon: DaemonLab) => Promise<T>,
): Promise<T> {
  const daemon = await DaemonLab.start({ uplinks, internetHosts: [INTERNET_HOST], logLevel });
  let result: T;
  let exitCode: number | undefined;
  try {
    result = await body(daemon);
  } finally {
    exitCode = await daemon.stop();
  }
  if (exitCode !== 0) throw new Error(`statenet exited with ${exitCode}`);
  return result;
}

/** The next time (after `after` log entries) the daemon says `ifname` is at `status`. */
export async function statusReached(
  daemon: DaemonLab,
  ifname: string,
  status: "internet" | "lan",
  timeoutMs: number,
  after = 0,
): Promise<void> {
  await daemon.waitForLog(
    (entry) =>
      entry.msg === "connectivity changed" && entry.ifname === ifname && entry.status === status,
    timeoutMs,
    after,
  );
}

/** The uplink's upstream goes silent toward the probe host (`replace`) or comes back (`del`). */
export function blackhole(lab: Lab, ifname: string, action: "replace" | "del"): Promise<void> {
  return lab
    .ip(lab.uplink(ifname).routerNs)
    .batch([`route ${action} blackhole ${INTERNET_HOST}/32`]);
}
