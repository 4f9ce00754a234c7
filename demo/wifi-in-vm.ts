import { pollUntil } from "../lab/poll.js";
import type { DaemonLog } from "./daemon-lab.js";
import {
  WIFI_ACCESS_POINT_ADDRESS,
  WIFI_FREQUENCY,
  WIFI_SSID,
  WifiLab,
  wifiClientConfig,
} from "./wifi-lab.js";

/**
 * The WiFi demo's inside part, run in the VM lab by demo/wifi.ts: the
 * `statenet` daemon on a device with eth0 (DHCP, behind its router) and a
 * real (mac80211_hwsim) radio as WiFi client of a WPA2 access point in
 * another namespace. eth0's cable is pulled, the access point goes away and
 * comes back, the cable is put back; the timeline shows what the daemon
 * published and where the default route went, and when. Under TCG
 * everything takes 15 to 20 times as long as on a device: every wait is for
 * a condition, with a generous timeout.
 */

process.env.STATENET_REQUIRE_NETNS = "1";
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => process.exit(130));
}

const INTERNET_HOST = "203.0.113.53";
/** A step that takes a second on a device can take twenty here. */
const SLOW = 180_000;
const SHOWN =
  /^(available_interfaces|connection|interface\/[^/]+\/(connection|addresses|lower_up|wifi\/state|wifi\/current_ap))$/;

const stamp = (ms: number) => `+${ms.toFixed(0).padStart(6)} ms`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The access point joined, in a few words: the timeline has no room for its flags. */
function shown(key: string, value: unknown): string {
  if (value === undefined) return "(removed)";
  if (key.endsWith("/current_ap")) {
    const { ssid, bssid, frequency, signalDbm } = value as Record<string, unknown>;
    return JSON.stringify({ ssid, bssid, frequency, signalDbm });
  }
  return JSON.stringify(value);
}

const wifi = await WifiLab.start({
  wired: { ifname: "eth0", ipv4: "dhcp" },
  internetHost: INTERNET_HOST,
  wifi: (ssid, passphrase) => wifiClientConfig(ssid, passphrase),
  accessPoint: "wpa2-psk",
});
let exitCode: number | undefined;
try {
  const { daemon, ifname } = wifi;
  const { lab } = daemon;
  const eth0 = lab.uplink("eth0");
  console.log(`lab ${lab.name}: statenet runs in ${lab.deviceNs} (pid ${daemon.pid})`);
  console.log(`  eth0   ${eth0.network.padEnd(16)} router ${eth0.routerAddress}, udhcpd`);
  console.log(
    `  ${ifname.padEnd(6)} hwsim radio ${wifi.station.mac}, WPA2-PSK client of "${WIFI_SSID}" (${WIFI_FREQUENCY} MHz, channel 6)`,
  );
  console.log(
    `         access point: hostapd on ${wifi.accessPoint.radio.phy} in ${wifi.accessPoint.ns}, ${WIFI_ACCESS_POINT_ADDRESS} with udhcpd`,
  );
  console.log(
    `  internet host ${INTERNET_HOST}: behind eth0's router, and over the air through the access point's namespace\n`,
  );
  // Stamps from the daemon's own clock (pino's `time`): under emulation this
  // process may read the daemon's output a second or more late, in bursts.
  const epochAtStart = Date.now() - (performance.now() - daemon.startedAt);
  const daemonMs = (log: DaemonLog) => Date.parse(String(log.entry.time)) - epochAtStart;
  daemon.onLog((log) => {
    const { entry } = log;
    const atMs = daemonMs(log);
    const key = String(entry.key);
    if (entry.msg === "property changed" && SHOWN.test(key)) {
      console.log(`${stamp(atMs)}  ${key.padEnd(30)} ${shown(key, entry.value)}`);
    } else if (entry.msg === "connectivity changed") {
      console.log(
        `${stamp(atMs)}  ${`${entry.ifname} checker`.padEnd(30)} ${entry.status} (${entry.reason})`,
      );
    } else if (entry.level !== undefined && Number(entry.level) >= 40) {
      console.log(`${stamp(atMs)}  warning: ${entry.msg}`);
    }
  });

  /** The latest value the daemon logged for a property, from the log so far. */
  const latest = (key: string): unknown =>
    daemon.log.findLast(({ entry }) => entry.msg === "property changed" && entry.key === key)?.entry
      .value;
  /** The first log entry, from `after` on, that sets `key` to `value`. */
  const becomes = (key: string, value: unknown, after: number): Promise<DaemonLog> =>
    daemon.waitForLog(
      (entry) => entry.msg === "property changed" && entry.key === key && entry.value === value,
      SLOW,
      after,
    );
  /** Polls `ip route get` until `check` accepts the interface it names (undefined: no route). */
  const routeSettles = async (check: (dev: string | undefined) => boolean, since: number) => {
    await pollUntil(
      `the route to ${INTERNET_HOST}`,
      async () => check(await daemon.routeDev(INTERNET_HOST)),
      { timeoutMs: SLOW, intervalMs: 20 },
    );
    return performance.now() - since;
  };
  /** Milliseconds since `since` (a performance.now()) at which the daemon logged `log`. */
  const after = (log: DaemonLog, since: number) => daemonMs(log) - (since - daemon.startedAt);
  const wifiState = `interface/${ifname}/wifi/state`;
  const wifiConnection = `interface/${ifname}/connection`;

  await pollUntil(
    `${ifname} associated and both uplinks at internet`,
    () =>
      latest(wifiState) === "connected" &&
      latest(wifiConnection) === "internet" &&
      latest("interface/eth0/connection") === "internet",
    { timeoutMs: SLOW, intervalMs: 100 },
  );
  await routeSettles((dev) => dev === "eth0", performance.now());
  console.log(
    `\n${stamp(performance.now() - daemon.startedAt)}  ${ifname} associated, both uplinks at internet; ${INTERNET_HOST} goes via ${await daemon.routeDev(INTERNET_HOST)}`,
  );
  console.log(`           daemon RSS ${(await daemon.rssMb()).toFixed(1)} MB\n`);

  console.log("== eth0 cable pulled");
  const unplugged = performance.now();
  await lab.unplug("eth0");
  const unplugMark = daemon.log.length;
  const away = await routeSettles((dev) => dev === ifname, unplugged);
  const eth0Down = await becomes("interface/eth0/connection", "disconnected", unplugMark);
  console.log(
    `           default route on ${ifname} ${away.toFixed(0)} ms after the unplug (the kernel skips a route whose link is down); eth0 disconnected in statenet's view ${seconds(after(eth0Down, unplugged))} after it`,
  );

  console.log(`\n== the access point goes away (hostapd and its DHCP server stop)`);
  const mark = daemon.log.length;
  const gone = performance.now();
  await wifi.accessPoint.stop();
  const disconnected = await becomes(wifiState, "disconnected", mark);
  const noRoute = await routeSettles((dev) => dev === undefined, gone);
  await becomes(wifiConnection, "disconnected", mark);
  console.log(
    `           ${ifname} disconnected ${seconds(after(disconnected, gone))} after hostapd was told to stop; no route to ${INTERNET_HOST} after ${seconds(noRoute)}`,
  );

  console.log(`\n== the access point comes back`);
  const backMark = daemon.log.length;
  await wifi.accessPoint.start("wpa2-psk", WIFI_SSID);
  const beaconing = performance.now();
  const associated = await becomes(wifiState, "connected", backMark);
  const lan = await becomes(wifiConnection, "lan", backMark);
  const internet = await becomes(wifiConnection, "internet", backMark);
  const carries = await routeSettles((dev) => dev === ifname, beaconing);
  console.log(
    `           from its first beacon: associated ${seconds(after(associated, beaconing))}, leased (lan) ${seconds(after(lan, beaconing))}, internet ${seconds(after(internet, beaconing))}, default route on ${ifname} ${seconds(carries)}`,
  );

  console.log("\n== eth0 cable back");
  const plugMark = daemon.log.length;
  const plugged = performance.now();
  await lab.plug("eth0");
  const eth0Internet = await becomes("interface/eth0/connection", "internet", plugMark);
  const back = await routeSettles((dev) => dev === "eth0", plugged);
  console.log(
    `           eth0 at internet ${seconds(after(eth0Internet, plugged))} after the replug (a new lease, then its checker has to find the Internet again); default route back on eth0 after ${seconds(back)}`,
  );

  const routes = await lab.exec(lab.deviceNs, "ip", ["-4", "route", "show", "table", "main"]);
  const rules = await lab.exec(lab.deviceNs, "ip", ["-4", "rule", "show"]);
  console.log(`\nip rule:\n${rules.stdout}\n\nip route (main):\n${routes.stdout}\n`);
} finally {
  exitCode = await wifi.stop();
  console.log(
    `statenet stopped on SIGTERM with exit code ${exitCode}; lab, access point and radios removed`,
  );
}
process.exitCode = exitCode === 0 ? 0 : 1;
