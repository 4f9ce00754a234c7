import { setTimeout as sleep } from "node:timers/promises";
import type { DaemonLab } from "../demo/daemon-lab.js";
import { countTraffic, readTraffic, trafficPerDay } from "./probe-traffic.js";
import { report, settleAll } from "./stats.js";
import {
  INTERNET_HOST,
  statusReached,
  type Uplinks,
  WIRED_AND_WIFI,
  withDaemon,
} from "./upstream-lab.js";

/**
 * The daemon at its defaults left alone for SOAK_MINUTES (10;
 * STATENET_BENCH_SOAK_MINUTES shortens it), four labs side by side: random
 * loss toward the probe host at 30 % and at 40 % (status changes and route
 * switches, which should be none), a clean one with wired, WiFi and mobile
 * uplinks (their probe traffic at `internet`), and a mobile uplink whose
 * upstream is silent (its probe traffic at `lan`). Traffic is counted in
 * bytes on the wire (probe-traffic.ts) and scaled to a day.
 */

const SOAK_MINUTES = Number(process.env.STATENET_BENCH_SOAK_MINUTES ?? 10);

const CLASS_OF: Record<string, string> = { eth0: "wired", wlan0: "WiFi", wwan0: "mobile" };

/** Waits SOAK_MINUTES; returns the seconds it took and what the daemon changed meanwhile. */
async function soakFrom(daemon: DaemonLab) {
  const mark = daemon.log.length;
  const started = performance.now();
  await sleep(SOAK_MINUTES * 60_000);
  const seconds = (performance.now() - started) / 1000;
  const during = daemon.log.slice(mark).map((log) => log.entry);
  const statusChanges = during
    .filter((entry) => entry.msg === "connectivity changed")
    .map((entry) => `${entry.ifname}→${entry.status} (${entry.reason})`);
  let routeSwitches = 0;
  let first: unknown;
  for (const entry of during) {
    if (entry.msg !== "property changed" || entry.key !== "available_interfaces") continue;
    const head = Array.isArray(entry.value) ? entry.value[0] : undefined;
    if (first !== undefined && head !== first) routeSwitches += 1;
    first = head;
  }
  return { seconds, statusChanges, routeSwitches };
}

async function allAtInternet(daemon: DaemonLab, uplinks: Uplinks): Promise<void> {
  for (const { ifname } of uplinks) await statusReached(daemon, ifname, "internet", 600_000);
}

/** Wired and WiFi uplinks losing `percent` of the packets toward the probe host. */
function lossSoak(percent: number): Promise<void> {
  return withDaemon(WIRED_AND_WIFI, "debug", async (daemon) => {
    await allAtInternet(daemon, WIRED_AND_WIFI);
    for (const { ifname } of WIRED_AND_WIFI) {
      await countTraffic(daemon.lab, ifname, { host: INTERNET_HOST, percent });
    }
    const { statusChanges, routeSwitches } = await soakFrom(daemon);
    report("random_loss_soak", {
      minutes: SOAK_MINUTES,
      loss_toward_probe_host_percent: percent,
      status_changes: statusChanges.length,
      status_changes_detail: statusChanges,
      default_route_switches: routeSwitches,
    });
  });
}

/** Every class of uplink at `internet`, untouched: what probing costs each. */
function cleanSoak(): Promise<void> {
  const uplinks: Uplinks = [...WIRED_AND_WIFI, { ifname: "wwan0", ipv4: "static" }];
  return withDaemon(uplinks, "debug", async (daemon) => {
    await allAtInternet(daemon, uplinks);
    for (const { ifname } of uplinks) await countTraffic(daemon.lab, ifname);
    const before = await Promise.all(uplinks.map(({ ifname }) => readTraffic(daemon.lab, ifname)));
    const { seconds, statusChanges, routeSwitches } = await soakFrom(daemon);
    for (const [index, { ifname }] of uplinks.entries()) {
      const earlier = before[index];
      if (!earlier) continue;
      report("probe_traffic", {
        ifname,
        uplink: CLASS_OF[ifname],
        state: "internet",
        settings: "defaults",
        minutes: SOAK_MINUTES,
        ...trafficPerDay(earlier, await readTraffic(daemon.lab, ifname), seconds),
      });
    }
    report("clean_soak", {
      minutes: SOAK_MINUTES,
      status_changes: statusChanges.length,
      status_changes_detail: statusChanges,
      default_route_switches: routeSwitches,
    });
  });
}

/**
 * A mobile uplink whose upstream goes silent: counted from when the daemon
 * says it is at `lan`, so the checks' back-off is in the figure as it comes
 * (the first minutes cost the most: scaled to a day, an upper bound).
 */
function mobileLanSoak(): Promise<void> {
  const uplinks: Uplinks = [{ ifname: "wwan0", ipv4: "static" }];
  return withDaemon(uplinks, "debug", async (daemon) => {
    await allAtInternet(daemon, uplinks);
    const mark = daemon.log.length;
    await countTraffic(daemon.lab, "wwan0", { host: INTERNET_HOST, percent: 100 });
    await statusReached(daemon, "wwan0", "lan", 1_200_000, mark);
    const before = await readTraffic(daemon.lab, "wwan0");
    const { seconds, statusChanges } = await soakFrom(daemon);
    report("probe_traffic", {
      ifname: "wwan0",
      uplink: "mobile",
      state: "lan",
      settings: "defaults",
      minutes: SOAK_MINUTES,
      ...trafficPerDay(before, await readTraffic(daemon.lab, "wwan0"), seconds),
      // Any change means it did not stay at `lan` all along: the figure would not be one.
      status_changes: statusChanges.length,
    });
  });
}

export async function benchSoaks(): Promise<void> {
  await settleAll([lossSoak(30), lossSoak(40), cleanSoak(), mobileLanSoak()]);
}
