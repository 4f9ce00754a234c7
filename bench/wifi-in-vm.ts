import { execa } from "execa";
import type { DaemonLog } from "../demo/daemon-lab.js";
import { WIFI_SSID, WifiLab, wifiClientConfig } from "../demo/wifi-lab.js";
import { pollUntil } from "../lab/poll.js";
import { controlRequest } from "../src/control/client.js";
import type { ControlRequest } from "../src/control/protocol.js";
import { report, summarize } from "./stats.js";

/**
 * The WiFi figures, inside the VM lab (bench/wifi.ts boots it): the
 * `statenet` daemon with a real (mac80211_hwsim) radio as wlan0 and a wired
 * backup uplink, wwan0 (a veth, ranked below WiFi as a modem would be);
 * a hostapd access point in its own namespace. Association after
 * `configure` (over the control socket, as `statenet configure` sends it)
 * with WPA2-PSK and with SAE, the default route leaving wlan0 when the access
 * point goes away and coming back with it, and how long a scan takes. Every
 * line says the VM's accelerator: under TCG the figures are 15 to 20 times
 * a device's. STATENET_BENCH_TRIALS shortens it; STATENET_BENCH_WIFI_LOG=1
 * passes the daemon's log on to stderr.
 */

process.env.STATENET_REQUIRE_NETNS = "1";
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => process.exit(130));
}

const INTERNET_HOST = "203.0.113.53";
const TRIALS = Number(process.env.STATENET_BENCH_TRIALS ?? 5);
const ACCELERATOR = process.env.STATENET_VM_ACCELERATOR ?? "tcg";
const VM =
  ACCELERATOR === "tcg"
    ? { vm: "tcg", note: "emulated (TCG): 15-20x slower than a device" }
    : { vm: ACCELERATOR };
/** A step that takes a second on a device can take twenty here. */
const SLOW = 300_000;
const BACKUP = "wwan0";

const seconds = (ms: number) => Math.round(ms) / 1000;
const summarizeSeconds = (samples: readonly number[]) => {
  const { runs, median_ms, max_ms } = summarize(samples);
  return { runs, median_s: seconds(median_ms), max_s: seconds(max_ms) };
};

const wifi = await WifiLab.start({
  wired: { ifname: BACKUP, ipv4: "static" },
  internetHost: INTERNET_HOST,
  // Property changes are logged at debug: the figures are read from them.
  logLevel: "debug",
});
const { daemon, ifname } = wifi;
// For a look at why a figure is what it is: every line the daemon logs (secrets redacted), on stderr.
if (process.env.STATENET_BENCH_WIFI_LOG === "1") {
  daemon.onLog(({ atMs, entry }) =>
    console.error(`daemon +${atMs.toFixed(0)} ms ${JSON.stringify(entry)}`),
  );
}

/** One request over the control socket; a refusal is an error. */
async function request(body: ControlRequest): Promise<unknown> {
  const reply = await controlRequest(wifi.controlSocket, body, SLOW);
  if (!reply.ok) throw new Error(`${body.command}: ${reply.error}`);
  return reply.result;
}

/**
 * The first property change, from `after` on, that `accept` takes; its entry
 * has the daemon's own clock (`time`). A timeout names what was awaited.
 */
async function change(
  key: string,
  accept: (value: unknown) => boolean,
  after: number,
  what = key,
): Promise<DaemonLog> {
  try {
    return await daemon.waitForLog(
      (entry) => entry.msg === "property changed" && entry.key === key && accept(entry.value),
      SLOW,
      after,
    );
  } catch (error) {
    throw new Error(`waiting for ${what}: ${(error as Error).message}`);
  }
}
const becomes = (key: string, value: unknown, after: number) =>
  change(key, (logged) => logged === value, after, `${key} = ${JSON.stringify(value)}`);
const loggedAt = (log: DaemonLog) => Date.parse(String(log.entry.time));

const wifiState = `interface/${ifname}/wifi/state`;
const connection = (name: string) => `interface/${name}/connection`;

/** configure → associated, leased (lan), internet; then deconfigure, and wait until it is all gone. */
async function associationTrials(security: "wpa2-psk" | "sae"): Promise<void> {
  const ssid = `${WIFI_SSID}-${security}`;
  const keyMgmt = security === "sae" ? "sae" : "wpa_psk";
  await wifi.accessPoint.start(security, ssid);
  const times = { associated: [] as number[], lan: [] as number[], internet: [] as number[] };
  try {
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const mark = daemon.log.length;
      const sentAt = Date.now();
      await request({
        command: "configure",
        ifname,
        config: wifiClientConfig(ssid, wifi.passphrase, keyMgmt),
      });
      const associated = await becomes(wifiState, "connected", mark);
      const lan = await becomes(connection(ifname), "lan", mark);
      const internet = await becomes(connection(ifname), "internet", mark);
      times.associated.push(loggedAt(associated) - sentAt);
      times.lan.push(loggedAt(lan) - sentAt);
      times.internet.push(loggedAt(internet) - sentAt);
      const gone = daemon.log.length;
      await request({ command: "deconfigure", ifname });
      await change(wifiState, (value) => value === undefined, gone, `${wifiState} removed`);
      await change(
        connection(ifname),
        (value) => value !== "lan" && value !== "internet",
        gone,
        `${connection(ifname)} neither lan nor internet`,
      );
    }
  } finally {
    await wifi.accessPoint.stop();
  }
  for (const [step, samples] of Object.entries(times)) {
    report(`wifi_configure_to_${step}`, { security, ...summarizeSeconds(samples), ...VM });
  }
}

/** wlan0 on WPA2 carrying the default route over the backup; the access point goes away and comes back. */
async function accessPointLossTrials(): Promise<void> {
  await wifi.accessPoint.start("wpa2-psk", WIFI_SSID);
  const mark = daemon.log.length;
  await request({
    command: "configure",
    ifname,
    config: wifiClientConfig(WIFI_SSID, wifi.passphrase),
  });
  await becomes(connection(ifname), "internet", mark);
  await becomes(connection(BACKUP), "internet", 0);
  await daemon.timeUntilRoute(INTERNET_HOST, ifname, performance.now(), SLOW, 20);
  report("wifi_daemon_rss", {
    interfaces: 2,
    rss_mb: Math.round((await daemon.rssMb()) * 10) / 10,
    ...VM,
  });

  const scans: number[] = [];
  let found = 0;
  for (let trial = 0; trial < TRIALS; trial += 1) {
    const started = performance.now();
    const accessPoints = (await request({ command: "wifi_scan", ifname })) as unknown[];
    scans.push(performance.now() - started);
    found = accessPoints.length;
  }
  report("wifi_scan", { ...summarizeSeconds(scans), access_points: found, ...VM });

  const away: number[] = [];
  const back: number[] = [];
  for (let trial = 0; trial < TRIALS; trial += 1) {
    const since = performance.now();
    // Polled from before hostapd is told to stop: the move may come before its exit is reaped.
    const moved = daemon.timeUntilRoute(INTERNET_HOST, BACKUP, since, SLOW, 0);
    await wifi.accessPoint.stop();
    away.push(await moved);
    const returned = daemon.log.length;
    await wifi.accessPoint.start("wpa2-psk", WIFI_SSID);
    const beaconing = performance.now();
    back.push(await daemon.timeUntilRoute(INTERNET_HOST, ifname, beaconing, SLOW, 20));
    await becomes(connection(ifname), "internet", returned);
  }
  report("wifi_ap_loss_to_route_switch", {
    from: ifname,
    to: BACKUP,
    how: "hostapd stopped (SIGTERM: it deauthenticates its stations)",
    ...summarizeSeconds(away),
    ...VM,
  });
  report("wifi_ap_back_to_route_switch", {
    from: BACKUP,
    to: ifname,
    since: "hostapd beaconing again",
    ...summarizeSeconds(back),
    ...VM,
  });
}

let exitCode: number | undefined;
try {
  const kernel = (await execa("uname", ["-r"])).stdout.trim();
  report("wifi_environment", {
    kernel,
    radios: "mac80211_hwsim",
    trials: TRIALS,
    measured: "association from the daemon's log clock; routes with ip route get from outside",
    ...VM,
  });
  await pollUntil(
    "the daemon's control socket",
    () =>
      request({ command: "info" }).then(
        () => true,
        () => false,
      ),
    { timeoutMs: SLOW, intervalMs: 500 },
  );
  await associationTrials("wpa2-psk");
  await associationTrials("sae");
  await accessPointLossTrials();
} catch (error) {
  // What the daemon said last, on stderr (bench/wifi.ts passes it on): why it did not get there.
  for (const { atMs, entry } of daemon.log.slice(-60)) {
    if (
      entry.msg === "property changed" ||
      Number(entry.level) >= 40 ||
      entry.msg === "connectivity changed"
    ) {
      console.error(`daemon +${atMs.toFixed(0)} ms ${JSON.stringify(entry)}`);
    }
  }
  throw error;
} finally {
  exitCode = await wifi.stop();
}
if (exitCode !== 0) throw new Error(`statenet exited with ${exitCode}`);
