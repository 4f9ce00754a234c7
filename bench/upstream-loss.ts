import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { DaemonLab, type DaemonLabOptions } from "../demo/daemon-lab.js";
import type { Lab } from "../lab/namespace-lab.js";
import {
  type ConnectivitySettings,
  DEFAULT_CONNECTIVITY,
} from "../machines/connectivity-checker.js";
import { report, summarize } from "./stats.js";

/**
 * Upstream loss with the link still up: how fast the default route leaves a
 * silent uplink and comes back, and whether a lossy one stays put. Every run
 * is the real daemon in its own lab; the trial counts and the soak length
 * can be shortened for a quick look (STATENET_BENCH_TRIALS,
 * STATENET_BENCH_SOAK_MINUTES).
 */

const INTERNET_HOST = "203.0.113.53";
const TWO_UPLINKS: DaemonLabOptions["uplinks"] = [
  { ifname: "eth0", ipv4: "static" },
  { ifname: "wlan0", ipv4: "static" },
];
const POLL_MS = 20;
const TRIALS = Number(process.env.STATENET_BENCH_TRIALS ?? 10);
const SOAK_MINUTES = Number(process.env.STATENET_BENCH_SOAK_MINUTES ?? 10);
const LOSS_PERCENT = 30;

const seconds = (ms: number) => Math.round(ms) / 1000;
const summarizeSeconds = (samples: readonly number[]) => {
  const { runs, median_ms, p99_ms, max_ms } = summarize(samples);
  return { runs, median_s: seconds(median_ms), p99_s: seconds(p99_ms), max_s: seconds(max_ms) };
};

function blackhole(lab: Lab, action: "replace" | "del"): Promise<void> {
  return lab
    .ip(lab.uplink("eth0").routerNs)
    .batch([`route ${action} blackhole ${INTERNET_HOST}/32`]);
}

/** eth0 at `internet` and carrying the default route. */
async function eth0AtInternet(daemon: DaemonLab, after: number): Promise<void> {
  await daemon.waitForLog(
    (entry) =>
      entry.msg === "connectivity changed" &&
      entry.ifname === "eth0" &&
      entry.status === "internet",
    120_000,
    after,
  );
  await daemon.timeUntilRoute(INTERNET_HOST, "eth0", performance.now(), 10_000, POLL_MS);
}

interface TrialTimes {
  failover: number[];
  failback: number[];
  /** Back after a second loss: the hold-down of a link that flapped again. */
  failbackSecondFlap: number[];
}

/**
 * One loss (and, with `secondFlap`, a second one) at a random moment of the
 * check interval, as losses come in the field.
 */
async function trial(
  settings: Partial<ConnectivitySettings>,
  secondFlap: boolean,
  times: TrialTimes,
): Promise<void> {
  const intervalMs = settings.intervalMs ?? DEFAULT_CONNECTIVITY.intervalMs;
  const daemon = await DaemonLab.start({
    uplinks: TWO_UPLINKS,
    internetHosts: [INTERNET_HOST],
    logLevel: "info",
    connectivity: settings,
  });
  let exitCode: number | undefined;
  try {
    await eth0AtInternet(daemon, 0);
    for (let flap = 0; flap < (secondFlap ? 2 : 1); flap += 1) {
      await sleep(Math.random() * intervalMs);
      let since = performance.now();
      await blackhole(daemon.lab, "replace");
      times.failover.push(
        await daemon.timeUntilRoute(INTERNET_HOST, "wlan0", since, 120_000, POLL_MS),
      );
      // Outages last a while: the upstream returns at a random moment of the checker's LAN probing.
      await sleep(2_000 + Math.random() * 10_000);
      const mark = daemon.log.length;
      since = performance.now();
      await blackhole(daemon.lab, "del");
      const back = await daemon.timeUntilRoute(INTERNET_HOST, "eth0", since, 1_200_000, POLL_MS);
      (flap === 0 ? times.failback : times.failbackSecondFlap).push(back);
      await eth0AtInternet(daemon, mark);
    }
  } finally {
    exitCode = await daemon.stop();
  }
  if (exitCode !== 0) throw new Error(`statenet exited with ${exitCode}`);
}

async function failoverTrials(label: string, settings: Partial<ConnectivitySettings>) {
  const times: TrialTimes = { failover: [], failback: [], failbackSecondFlap: [] };
  const secondFlap = label !== "defaults";
  for (let run = 0; run < TRIALS; run += 1) await trial(settings, secondFlap, times);
  const effective = { ...DEFAULT_CONNECTIVITY, ...settings };
  const bound =
    label === "defaults"
      ? { target_max_s: 15 }
      : { bound_s: seconds(effective.intervalMs + 2 * effective.timeoutMs) };
  report("upstream_loss_to_route_switch", {
    settings: label,
    ...summarizeSeconds(times.failover),
    ...bound,
  });
  report("upstream_back_to_route_switch", { settings: label, ...summarizeSeconds(times.failback) });
  if (times.failbackSecondFlap.length > 0) {
    report("upstream_back_after_second_flap", {
      settings: label,
      hold_down_s: seconds(effective.holdDownBaseMs),
      ...summarizeSeconds(times.failbackSecondFlap),
    });
  }
}

/** nft in an uplink's router: counts the probe traffic both ways and, given a loss, drops that share toward the host. */
async function routerFilter(lab: Lab, ifname: string, lossPercent: number): Promise<void> {
  const rules = [
    `add table inet statenet_bench`,
    `add chain inet statenet_bench forward { type filter hook forward priority 0; }`,
    `add rule inet statenet_bench forward ip daddr ${INTERNET_HOST} counter comment "toward"`,
    `add rule inet statenet_bench forward ip saddr ${INTERNET_HOST} counter comment "from"`,
  ];
  if (lossPercent > 0) {
    rules.push(
      `add rule inet statenet_bench forward ip daddr ${INTERNET_HOST} numgen random mod 100 < ${lossPercent} drop`,
    );
  }
  const { routerNs } = lab.uplink(ifname);
  await execa("ip", ["netns", "exec", routerNs, "nft", "-f", "-"], { input: rules.join("\n") });
}

/** Bytes counted by `routerFilter` in both directions, at the IP layer. */
async function probeBytes(lab: Lab, ifname: string): Promise<number> {
  const { stdout } = await lab.exec(lab.uplink(ifname).routerNs, "nft", [
    "-j",
    "list",
    "table",
    "inet",
    "statenet_bench",
  ]);
  const items = (JSON.parse(stdout) as { nftables: Array<Record<string, unknown>> }).nftables;
  let bytes = 0;
  for (const item of items) {
    const rule = item.rule as { expr?: Array<Record<string, { bytes?: number }>> } | undefined;
    for (const expression of rule?.expr ?? []) bytes += expression.counter?.bytes ?? 0;
  }
  return bytes;
}

/**
 * Default settings for SOAK_MINUTES: one lab whose routers drop LOSS_PERCENT
 * of the packets toward the probe host (nft `numgen random`), one without
 * loss. Counts status changes and default-route switches, and the probes'
 * bytes per hour on each uplink.
 */
async function soak(lossPercent: number, uplinks: DaemonLabOptions["uplinks"]) {
  const daemon = await DaemonLab.start({
    uplinks,
    internetHosts: [INTERNET_HOST],
    logLevel: "debug",
  });
  let exitCode: number | undefined;
  try {
    await eth0AtInternet(daemon, 0);
    for (const { ifname } of uplinks) {
      await daemon.waitForLog(
        (entry) =>
          entry.msg === "connectivity changed" &&
          entry.ifname === ifname &&
          entry.status === "internet",
        180_000,
      );
    }
    for (const { ifname } of uplinks) await routerFilter(daemon.lab, ifname, lossPercent);
    const mark = daemon.log.length;
    const started = performance.now();
    await sleep(SOAK_MINUTES * 60_000);
    const hours = (performance.now() - started) / 3_600_000;
    const during = daemon.log.slice(mark).map((log) => log.entry);
    const statusChanges = during.filter((entry) => entry.msg === "connectivity changed");
    let routeSwitches = 0;
    let first: unknown;
    for (const entry of during) {
      if (entry.msg !== "property changed" || entry.key !== "available_interfaces") continue;
      const head = Array.isArray(entry.value) ? entry.value[0] : undefined;
      if (first !== undefined && head !== first) routeSwitches += 1;
      first = head;
    }
    const bytesPerHour: Record<string, number> = {};
    for (const { ifname } of uplinks) {
      bytesPerHour[ifname] = Math.round((await probeBytes(daemon.lab, ifname)) / hours);
    }
    report(lossPercent > 0 ? "random_loss_soak" : "clean_soak", {
      minutes: SOAK_MINUTES,
      loss_toward_probe_host_percent: lossPercent,
      status_changes: statusChanges.length,
      status_changes_detail: statusChanges.map(
        (entry) => `${entry.ifname}→${entry.status} (${entry.reason})`,
      ),
      default_route_switches: routeSwitches,
      probe_bytes_per_hour: bytesPerHour,
    });
  } finally {
    exitCode = await daemon.stop();
  }
  if (exitCode !== 0) throw new Error(`statenet exited with ${exitCode}`);
}

/** Side by side: a lossy device and a clean one with a cellular uplink (gentler defaults). */
export async function benchSoaks(): Promise<void> {
  await Promise.all([
    soak(LOSS_PERCENT, TWO_UPLINKS),
    soak(0, [...TWO_UPLINKS, { ifname: "wwan0", ipv4: "static" }]),
  ]);
}

export async function benchUpstreamLoss(): Promise<void> {
  await failoverTrials("defaults", {});
  await failoverTrials("interval_1s", { intervalMs: 1_000 });
  await benchSoaks();
}
