import { setTimeout as sleep } from "node:timers/promises";
import type { DaemonLab } from "../demo/daemon-lab.js";
import { RouteWatch } from "./route-watch.js";
import { benchSoaks } from "./soaks.js";
import { report, runPooled, settleAll, summarizeSeconds } from "./stats.js";
import {
  blackhole,
  INTERNET_HOST,
  statusReached,
  TWO_MOBILE,
  type Uplinks,
  WIRED_AND_WIFI,
  withDaemon,
} from "./upstream-lab.js";

/**
 * Upstream loss with the link still up: how fast the default route leaves a
 * silent uplink and comes back, at the daemon's default timings, one fresh
 * daemon per trial. The trial counts can be lowered for a quick look
 * (STATENET_BENCH_TRIALS, STATENET_BENCH_MOBILE_TRIALS); the soaks beside
 * them are in soaks.ts.
 *
 * Everything runs side by side: the soaks' daemons sit idle between checks,
 * and the route is timed from `ip monitor` events rather than by polling, so
 * labs barely load each other. The wired trials, the headline figure, run
 * one at a time; the mobile ones (seconds to a minute each, mostly waiting)
 * four at a time.
 */

const TRIALS = Number(process.env.STATENET_BENCH_TRIALS ?? 20);
const MOBILE_TRIALS = Number(process.env.STATENET_BENCH_MOBILE_TRIALS ?? TRIALS);
const MOBILE_CONCURRENCY = 4;

/**
 * The loss comes at a random moment within this long after the uplink
 * reached `internet`, so it falls anywhere in the checker's schedule. It must
 * span at least one check period at the defaults (8 s wired and 60 s mobile
 * when written); the bench does not ask the checker what its period is.
 */
const WIRED_LOSS_WINDOW_MS = 16_000;
const MOBILE_LOSS_WINDOW_MS = 60_000;

/** Waits for the uplinks at `internet` and the route on the first one. */
async function settled(daemon: DaemonLab, watch: RouteWatch, uplinks: Uplinks, timeoutMs: number) {
  for (const { ifname } of uplinks) await statusReached(daemon, ifname, "internet", timeoutMs);
  const best = uplinks[0]?.ifname ?? "";
  await watch.until(INTERNET_HOST, best, performance.now(), 10_000);
}

async function withRouteWatch<T>(
  uplinks: Uplinks,
  body: (daemon: DaemonLab, watch: RouteWatch) => Promise<T>,
): Promise<T> {
  return withDaemon(uplinks, "info", async (daemon) => {
    const watch = await RouteWatch.start(daemon.lab);
    try {
      return await body(daemon, watch);
    } finally {
      await watch.stop();
    }
  });
}

/**
 * eth0's upstream goes silent at a random moment: the time until the route
 * is on wlan0; then, an outage of 2 to 12 s later, the time until it is back.
 */
function wiredTrial(): Promise<{ failover: number; back: number }> {
  return withRouteWatch(WIRED_AND_WIFI, async (daemon, watch) => {
    await settled(daemon, watch, WIRED_AND_WIFI, 120_000);
    await sleep(Math.random() * WIRED_LOSS_WINDOW_MS);
    let since = performance.now();
    await blackhole(daemon.lab, "eth0", "replace");
    const failover = await watch.until(INTERNET_HOST, "wlan0", since, 120_000);
    // Outages last a while: the upstream returns at a random moment of the checker's LAN probing.
    await sleep(2_000 + Math.random() * 10_000);
    since = performance.now();
    await blackhole(daemon.lab, "eth0", "del");
    const back = await watch.until(INTERNET_HOST, "eth0", since, 1_200_000);
    return { failover, back };
  });
}

/** wwan0's upstream goes silent at a random moment: the time until the route is on wwan1. */
function mobileTrial(): Promise<number> {
  return withRouteWatch(TWO_MOBILE, async (daemon, watch) => {
    await settled(daemon, watch, TWO_MOBILE, 600_000);
    await sleep(Math.random() * MOBILE_LOSS_WINDOW_MS);
    const since = performance.now();
    await blackhole(daemon.lab, "wwan0", "replace");
    return watch.until(INTERNET_HOST, "wwan1", since, 1_200_000);
  });
}

async function wiredFailover(): Promise<void> {
  const trials = await runPooled(TRIALS, 1, wiredTrial);
  report("upstream_loss_to_route_switch", {
    uplinks: "wired→WiFi",
    settings: "defaults",
    ...summarizeSeconds(trials.map((trial) => trial.failover)),
    loss_within_s: WIRED_LOSS_WINDOW_MS / 1000,
  });
  report("upstream_back_to_route_switch", {
    uplinks: "wired",
    settings: "defaults",
    outage_after_switch_s: "2–12",
    ...summarizeSeconds(trials.map((trial) => trial.back)),
  });
}

async function mobileFailover(): Promise<void> {
  const trials = await runPooled(MOBILE_TRIALS, MOBILE_CONCURRENCY, mobileTrial);
  report("upstream_loss_to_route_switch", {
    uplinks: "mobile→mobile",
    settings: "defaults",
    ...summarizeSeconds(trials),
    loss_within_s: MOBILE_LOSS_WINDOW_MS / 1000,
  });
}

export async function benchUpstreamLoss(): Promise<void> {
  await settleAll([wiredFailover(), mobileFailover(), benchSoaks()]);
}
