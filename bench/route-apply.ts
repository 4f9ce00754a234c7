import { waitFor } from "xstate";
import { Lab } from "../lab/namespace-lab.js";
import { startLinuxRouteManager } from "../src/linux/route-manager.js";
import { applyRouteChanges } from "../src/linux/routes.js";
import { silentLogger } from "../src/log.js";
import { PropertyTable } from "../src/properties/property-table.js";
import { computeRoutes } from "../src/route/calculator.js";
import { interfaceTypeFromName, weightFromName } from "../src/route/interface-type.js";
import { planChanges } from "../src/route/plan.js";
import type { ConnectionStatus, InterfaceInfo, RouteEntry } from "../src/route/types.js";
import { report, summarize } from "./stats.js";

const UPLINKS = ["eth0", "eth1", "eth2", "wlan0", "wlan1", "wwan0", "wwan1", "usb0"];
const RUNS = 200;

/**
 * A full change for 8 interfaces: every one flips between internet and lan, so
 * every route in `main` is replaced (add new metric, delete old) in one batch.
 */
export async function benchRouteApply(): Promise<void> {
  const lab = await Lab.create({ uplinks: UPLINKS });
  try {
    const ip = lab.ip();
    await lab.addDeviceAddresses();

    const infos = (status: ConnectionStatus): Record<string, InterfaceInfo> =>
      Object.fromEntries(
        lab.uplinks.map((uplink) => [
          uplink.ifname,
          {
            type: interfaceTypeFromName(uplink.ifname),
            weight: weightFromName(uplink.ifname),
            status,
            ...lab.routing(uplink),
          },
        ]),
      );

    let applied: RouteEntry[] = [];
    let tables = {};
    const computeOnly: number[] = [];
    const full: number[] = [];
    let lines = 0;
    for (let run = 0; run <= RUNS; run += 1) {
      const started = performance.now();
      const calculation = computeRoutes(infos(run % 2 === 0 ? "internet" : "lan"), tables);
      const changes = planChanges(applied, calculation.entries);
      const computed = performance.now();
      await applyRouteChanges(ip, changes);
      const done = performance.now();
      // The first run builds everything from nothing; the rest are the full changes measured.
      if (run > 0) {
        computeOnly.push(computed - started);
        full.push(done - started);
        lines = changes.length;
      }
      applied = calculation.entries;
      tables = calculation.tables;
    }
    report("route_apply_8_interfaces", {
      ...summarize(full),
      batch_lines: lines,
      target_median_ms: 10,
    });
    report("route_compute_8_interfaces", summarize(computeOnly));

    // The same change through the route manager machine: event in, kernel converged.
    const actor = startLinuxRouteManager({
      ip,
      properties: new PropertyTable(),
      logger: silentLogger(),
    });
    await waitFor(actor, (snapshot) => snapshot.matches("idle"));
    const machine: number[] = [];
    for (let run = 0; run <= RUNS / 2; run += 1) {
      const status: ConnectionStatus = run % 2 === 0 ? "internet" : "lan";
      const started = performance.now();
      for (const uplink of lab.uplinks) {
        actor.send({ type: "route.set_addresses", ifname: uplink.ifname, ...lab.routing(uplink) });
        actor.send({
          type: "route.set_connection",
          ifname: uplink.ifname,
          status,
          reason: "bench",
        });
      }
      await waitFor(actor, (snapshot) => snapshot.matches("idle"));
      if (run > 0) machine.push(performance.now() - started);
    }
    actor.stop();
    report("route_manager_event_to_kernel_8_interfaces", summarize(machine));
  } finally {
    await lab.teardown();
  }
}
