import { exitOnSignals, labUnavailableReason } from "../lab/namespace-lab.js";
import { DaemonLab, type DaemonLabOptions, THREE_UPLINKS } from "./daemon-lab.js";

/**
 * The main job: the `statenet` daemon on a device with three uplinks (eth0 on
 * DHCP from a real udhcpd behind an 802.1X switch port, wlan0 static, wwan0 a
 * DHCP modem on a power manager), each behind its own router in a namespace lab. eth0's cable is pulled and put back; the timeline
 * shows what the daemon published and where the default route went, and when.
 * Then eth0's upstream goes silent and comes back; then wwan0's, whose modem
 * the watchdog restarts and then power-cycles.
 */

process.env.STATENET_REQUIRE_NETNS = "1";
exitOnSignals();

const unavailable = labUnavailableReason();
if (unavailable) {
  console.error(`statenet demo: ${unavailable}`);
  process.exit(1);
}

const INTERNET_HOST = "203.0.113.53";
const SHOWN =
  /^(available_interfaces|connection|name_servers|interface\/[^/]+\/(state|connection|addresses|lower_up|eap\/state|power\/state|power\/cycles))$/;
const WATCHDOG_MS = 10_000;
// wwan0 is a modem on a power manager; it checks every 2 s rather than a mobile uplink's 60 s.
// eth0 sits behind an 802.1X switch port.
const UPLINKS: DaemonLabOptions["uplinks"] = THREE_UPLINKS.map((uplink) => {
  if (uplink.ifname === "wwan0") {
    return {
      ...uplink,
      modem: { watchdogTimeoutMs: WATCHDOG_MS, connectivity: { intervalMs: 2_000 } },
    };
  }
  return uplink.ifname === "eth0" ? { ...uplink, ieee8021x: true } : uplink;
});

const stamp = (ms: number) => `+${ms.toFixed(0).padStart(6)} ms`;

const demo = await DaemonLab.start({
  uplinks: UPLINKS,
  internetHosts: [INTERNET_HOST],
});
let exitCode: number | undefined;
try {
  const { lab } = demo;
  console.log(`lab ${lab.name}: statenet runs in ${lab.deviceNs} (pid ${demo.pid})`);
  for (const uplink of lab.uplinks) {
    console.log(
      `  ${uplink.ifname.padEnd(6)} ${uplink.network.padEnd(16)} router ${uplink.routerAddress}`,
    );
  }
  console.log(
    `  eth0 authenticates to an 802.1X switch port (PEAP) and leases from udhcpd, wlan0 is static, wwan0 is a modem (power manager, ${WATCHDOG_MS / 1000} s watchdog) serving DHCP itself; internet host ${INTERNET_HOST}\n`,
  );
  demo.onLog(({ atMs, entry }) => {
    if (entry.msg === "property changed" && SHOWN.test(String(entry.key))) {
      console.log(
        `${stamp(atMs)}  ${String(entry.key).padEnd(26)} ${JSON.stringify(entry.value) ?? "(removed)"}`,
      );
    } else if (entry.level !== undefined && Number(entry.level) >= 40) {
      console.log(`${stamp(atMs)}  ${entry.msg} ${JSON.stringify(entry)}`);
    }
  });

  // Carrier and addresses first; then each uplink's connectivity checker needs a few good checks.
  const all = await demo.waitForLog(
    (entry) => entry.key === "connection" && entry.value === "internet",
    20_000,
  );
  await demo.waitForLog(
    (entry) =>
      entry.key === "available_interfaces" &&
      Array.isArray(entry.value) &&
      entry.value.length === 3,
  );
  // eth0 leases by DHCP: its checker needs a few good checks after the lease.
  const eth0Up = await demo.waitForLog(
    (entry) => entry.key === "interface/eth0/connection" && entry.value === "internet",
    20_000,
  );
  await demo.timeUntilRoute(INTERNET_HOST, "eth0", performance.now(), 5_000);
  console.log(
    `\n${stamp(Math.max(all.atMs, eth0Up.atMs))}  all three uplinks up; ${INTERNET_HOST} goes via ${await demo.routeDev(INTERNET_HOST)}`,
  );
  console.log(`           daemon RSS ${(await demo.rssMb()).toFixed(1)} MB\n`);

  console.log("== eth0 cable pulled");
  const unplugged = performance.now();
  await lab.unplug("eth0");
  const away = await demo.timeUntilRoute(INTERNET_HOST, "wlan0", unplugged);
  console.log(`           default route on wlan0 ${away.toFixed(1)} ms after the unplug`);
  // The switch closes the port with the link: eth0 has to authenticate again.
  await demo.ports.get("eth0")?.linkLost();
  await new Promise((resolve) => setTimeout(resolve, 1_500));

  console.log("\n== eth0 cable back");
  const plugged = performance.now();
  const afterReplug = demo.log.length;
  await lab.plug("eth0");
  const back = await demo.timeUntilRoute(INTERNET_HOST, "eth0", plugged, 30_000, 20);
  console.log(
    `           default route back on eth0 ${(back / 1000).toFixed(1)} s after the replug (the port authenticates again, then its checker has to find the Internet again)`,
  );
  await new Promise((resolve) => setTimeout(resolve, 500));

  await demo.waitForLog(
    (entry) => entry.key === "interface/eth0/connection" && entry.value === "internet",
    20_000,
    afterReplug,
  );

  console.log(`\n== eth0's upstream goes silent (blackhole in its router), link still up`);
  const router = lab.uplink("eth0").routerNs;
  const silenced = performance.now();
  await lab.ip(router).batch([`route replace blackhole ${INTERNET_HOST}/32`]);
  const failover = await demo.timeUntilRoute(INTERNET_HOST, "wlan0", silenced, 30_000);
  console.log(
    `           default route on wlan0 ${(failover / 1000).toFixed(1)} s after the upstream loss (default checker timings)`,
  );

  console.log(`\n== eth0's upstream answers again`);
  const restored = performance.now();
  await lab.ip(router).batch([`route del blackhole ${INTERNET_HOST}/32`]);
  const failback = await demo.timeUntilRoute(INTERNET_HOST, "eth0", restored, 60_000);
  console.log(
    `           default route back on eth0 ${(failback / 1000).toFixed(1)} s later (several good checks first)`,
  );

  console.log(`\n== wwan0's upstream goes silent: only its own good checks pet its watchdog`);
  const modemRouter = lab.uplink("wwan0").routerNs;
  const modemSilenced = performance.now();
  const beforeSilence = demo.log.length;
  await lab.ip(modemRouter).batch([`route replace blackhole ${INTERNET_HOST}/32`]);
  const restarted = await demo.waitForLog(
    (entry) => entry.key === "interface/wwan0/state" && entry.value === "reconfiguring",
    3 * WATCHDOG_MS,
    beforeSilence,
  );
  console.log(
    `           first missed watchdog: wwan0's configuration restarted ${((restarted.atMs - (modemSilenced - demo.startedAt)) / 1000).toFixed(1)} s after the loss`,
  );
  const cycled = await demo.waitForLog(
    (entry) => entry.key === "interface/wwan0/power/cycles" && entry.value === 1,
    3 * WATCHDOG_MS,
    beforeSilence,
  );
  console.log(
    `           next miss: the modem power-cycled ${((cycled.atMs - (modemSilenced - demo.startedAt)) / 1000).toFixed(1)} s after the loss; its upstream answers again`,
  );
  const modemRestored = performance.now();
  const beforeRestore = demo.log.length;
  await lab.ip(modemRouter).batch([`route del blackhole ${INTERNET_HOST}/32`]);
  const modemBack = await demo.waitForLog(
    (entry) => entry.key === "interface/wwan0/connection" && entry.value === "internet",
    30_000,
    beforeRestore,
  );
  console.log(
    `           modem back with a new lease, wwan0 at internet ${((modemBack.atMs - (modemRestored - demo.startedAt)) / 1000).toFixed(1)} s later`,
  );

  const routes = await lab.exec(lab.deviceNs, "ip", ["-4", "route", "show", "table", "main"]);
  const rules = await lab.exec(lab.deviceNs, "ip", ["-4", "rule", "show"]);
  console.log(`\nip rule:\n${rules.stdout}\n\nip route (main):\n${routes.stdout}\n`);
} finally {
  exitCode = await demo.stop();
  console.log(
    `statenet stopped on SIGTERM with exit code ${exitCode}; lab ${demo.lab.name} removed`,
  );
}
process.exitCode = exitCode === 0 ? 0 : 1;
