import { waitFor } from "xstate";
import { exitOnSignals, Lab, labUnavailableReason } from "../src/linux/lab.js";
import { startLinuxRouteManager } from "../src/linux/route-manager.js";
import { createLogger } from "../src/log.js";
import { PropertyTable } from "../src/properties/property-table.js";
import type { ConnectionStatus } from "../src/route/types.js";

/**
 * The main job, for now: a device with three uplinks in a namespace lab, the
 * route manager ordering its default routes as their status changes, and a
 * timeline of what it published and which uplink carried traffic.
 */

process.env.STATENET_REQUIRE_NETNS = "1";
exitOnSignals();

const unavailable = labUnavailableReason();
if (unavailable) {
  console.error(`statenet demo: ${unavailable}`);
  process.exit(1);
}

const INTERNET_HOST = "203.0.113.53";
const started = performance.now();
const stamp = () => `+${(performance.now() - started).toFixed(1).padStart(7)} ms`;

const lab = await Lab.create({
  uplinks: ["eth0", "wlan0", "wwan0"],
  internetHosts: [INTERNET_HOST],
});
try {
  console.log(`lab ${lab.name}: device namespace ${lab.deviceNs}`);
  for (const uplink of lab.uplinks) {
    console.log(
      `  ${uplink.ifname.padEnd(6)} ${uplink.deviceAddress}/${uplink.prefixLength} -> router ${uplink.routerAddress} (${uplink.routerNs})`,
    );
  }
  console.log(`  internet host ${INTERNET_HOST} behind every router\n`);
  const ip = lab.ip();
  await lab.addDeviceAddresses();

  const properties = new PropertyTable();
  properties.subscribe([], (change) => {
    console.log(
      `${stamp()}  ${change.key.join("/").padEnd(28)} ${JSON.stringify(change.old) ?? "-"} -> ${JSON.stringify(change.new)}`,
    );
  });
  const logger = createLogger({ level: process.env.STATENET_LOG_LEVEL ?? "warn" });
  const actor = startLinuxRouteManager({ ip, properties, logger });

  async function step(title: string, send: () => void): Promise<void> {
    console.log(`\n== ${title}`);
    const before = performance.now();
    send();
    await waitFor(actor, (snapshot) => snapshot.matches("idle"), { timeout: 5_000 });
    const applied = performance.now() - before;
    const route = await lab.routeGet(INTERNET_HOST);
    const ping = await lab.exec(lab.deviceNs, "busybox", [
      "ping",
      "-c",
      "1",
      "-W",
      "1",
      INTERNET_HOST,
    ]);
    const reached = /1 packets received/.test(ping.stdout) ? "reached" : "NOT reached";
    console.log(
      `${stamp()}  routes applied in ${applied.toFixed(1)} ms; ${INTERNET_HOST} goes via ${route.dev} (${route.gateway}); ping ${reached}`,
    );
  }

  const setStatus = (ifname: string, status: ConnectionStatus, reason: string) =>
    actor.send({ type: "route.set_connection", ifname, status, reason });

  await step("all three uplinks configured, all with Internet", () => {
    for (const uplink of lab.uplinks) {
      actor.send({ type: "route.set_addresses", ifname: uplink.ifname, ...lab.routing(uplink) });
      setStatus(uplink.ifname, "internet", "demo: configured");
    }
  });
  await step("eth0 loses the Internet (LAN only)", () =>
    setStatus("eth0", "lan", "demo: upstream lost"),
  );
  await step("wlan0 loses its address", () =>
    actor.send({ type: "route.clear_addresses", ifname: "wlan0" }),
  );
  await step("eth0 gets the Internet back", () =>
    setStatus("eth0", "internet", "demo: upstream back"),
  );
  await step("eth0 cable unplugged (disconnected)", () =>
    setStatus("eth0", "disconnected", "demo: carrier lost"),
  );

  const table = await lab.exec(lab.deviceNs, "ip", ["-4", "route", "show", "table", "main"]);
  const rules = await lab.exec(lab.deviceNs, "ip", ["-4", "rule", "show"]);
  console.log(`\nip rule:\n${rules.stdout}\n\nip route (main):\n${table.stdout}`);
  actor.stop();
} finally {
  await lab.teardown();
  console.log(`\nlab ${lab.name} removed`);
}
