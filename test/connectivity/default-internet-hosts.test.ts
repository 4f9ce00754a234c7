import { describe, expect, it } from "vitest";
import { SimulatedClock } from "xstate";
import type { CheckerReport, ProbeResult } from "../../machines/connectivity-checker.js";
import { parseConfig } from "../../src/config/validate.js";
import { DEFAULT_INTERNET_HOSTS } from "../../src/connectivity/default-internet-hosts.js";
import { linuxCheckerMachine } from "../../src/connectivity/linux-checker.js";
import type { Prober } from "../../src/connectivity/prober.js";
import type { ProbeRequest } from "../../src/connectivity/tcp-probe.js";
import { PropertyTable } from "../../src/properties/property-table.js";
import { settle } from "../model/controlled-promise.js";
import { hostChild } from "../model/host.js";

/**
 * A configuration without `internetHosts` checks VintageNet's default hosts:
 * the checker the manager runs, with an injected prober in place of the real
 * one, so nothing here touches a network.
 */

/** Answers each probe with the next outcome; records what it was asked. */
function scriptedProber(outcomes: readonly boolean[]) {
  const requests: ProbeRequest[] = [];
  const prober: Prober = {
    probe: async (request) => {
      const ok = outcomes[requests.length] ?? false;
      requests.push(request);
      const result: ProbeResult = { ok, detail: ok ? "answered" : "timed out" };
      return result;
    },
    close: async () => {},
  };
  return { prober, requests };
}

describe("the default internet hosts", () => {
  it("are what a checker probes when the configuration names none", async () => {
    const config = parseConfig({
      interfaces: { eth0: { type: "ethernet", ipv4: { method: "dhcp" } } },
    });
    // Three good checks reach `internet`; then a failed check, two failed confirming rounds,
    // and at `lan` a first check at once.
    const { prober, requests } = scriptedProber([true, true, true, false, false, false]);
    const machine = linuxCheckerMachine({
      prober,
      targets: () => config.internetHosts,
      properties: new PropertyTable(),
      prefixLengthOf: () => 24,
    });
    const clock = new SimulatedClock();
    const { host, reports } = hostChild<typeof machine, CheckerReport>(machine, {
      input: { ifname: "eth0", usable: true, address: "192.0.2.10", nameServers: ["192.0.2.1"] },
      clock,
      inspect: () => {},
      reportPrefix: "connectivity.",
    });
    for (let step = 0; step < 100 && requests.length < 7; step += 1) {
      await settle();
      clock.increment(1_000);
    }
    await settle();
    host.stop();

    const statuses = reports.flatMap((report) =>
      report.type === "connectivity.changed" ? [report.status] : [],
    );
    expect(statuses).toEqual(["lan", "internet", "lan"]);
    const asked = requests.map((request) => request.targets.map(({ host }) => host));
    // Successive checks rotate through the list; each confirming round asks four hosts at once.
    expect(asked).toEqual([
      ["1.1.1.1"],
      ["8.8.8.8"],
      ["9.9.9.9"],
      ["208.67.222.222"],
      ["156.154.70.5", "1.1.1.1", "8.8.8.8", "9.9.9.9"],
      ["208.67.222.222", "156.154.70.5", "1.1.1.1", "8.8.8.8"],
      ["9.9.9.9"],
    ]);
    for (const request of requests) {
      expect(request.sourceAddress).toBe("192.0.2.10");
      for (const target of request.targets) expect(DEFAULT_INTERNET_HOSTS).toContainEqual(target);
    }
  });

  it("are off with an explicit empty list", () => {
    expect(parseConfig({ internetHosts: [] }).internetHosts).toEqual([]);
  });
});
