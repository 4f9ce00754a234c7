import { setTimeout as sleep } from "node:timers/promises";
import { DaemonLab, THREE_UPLINKS } from "../demo/daemon-lab.js";
import { report, summarize } from "./stats.js";

const INTERNET_HOST = "203.0.113.53";
const UNPLUGS = 20;
/** The kernel passes cross-namespace carrier changes on at most about once a second. */
const CARRIER_GAP_MS = 1_100;

/**
 * The `statenet` daemon with eth0 (DHCP), wlan0 (static) and wwan0 (DHCP):
 * its memory once all three are up, and how long after a cable pull the
 * default route has moved, watched from outside with `ip route get`.
 */
export async function benchCarrierSwitch(): Promise<void> {
  const demo = await DaemonLab.start({
    uplinks: THREE_UPLINKS,
    internetHosts: [INTERNET_HOST],
    logLevel: "info",
  });
  let exitCode: number | undefined;
  try {
    await demo.timeUntilRoute(INTERNET_HOST, "eth0", performance.now(), 10_000);
    await sleep(1_000);
    report("daemon_rss_after_start", {
      interfaces: 3,
      rss_mb: Math.round((await demo.rssMb()) * 10) / 10,
      target_mb: 80,
    });
    const away: number[] = [];
    const back: number[] = [];
    for (let run = 0; run < UNPLUGS; run += 1) {
      let since = performance.now();
      await demo.lab.unplug("eth0");
      away.push(await demo.timeUntilRoute(INTERNET_HOST, "wlan0", since));
      await sleep(CARRIER_GAP_MS);
      since = performance.now();
      await demo.lab.plug("eth0");
      // Carrier gives lan at once; the route returns once the checker has found the Internet again.
      back.push(await demo.timeUntilRoute(INTERNET_HOST, "eth0", since, 15_000));
      await sleep(CARRIER_GAP_MS);
    }
    report("carrier_loss_to_route_switch", { ...summarize(away), target_p99_ms: 100 });
    report("carrier_back_to_route_switch", summarize(back));
    report("daemon_rss_after_unplugs", {
      unplugs: UNPLUGS,
      rss_mb: Math.round((await demo.rssMb()) * 10) / 10,
    });
  } finally {
    exitCode = await demo.stop();
  }
  if (exitCode !== 0) throw new Error(`statenet exited with ${exitCode}`);
}
