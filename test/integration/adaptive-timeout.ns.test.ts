import { afterAll, beforeAll, expect, it } from "vitest";
import { Lab } from "../../lab/namespace-lab.js";
import { DEFAULT_CONNECTIVITY, lossDetectionBoundMs } from "../../machines/connectivity-checker.js";
import type { NetworkManager } from "../../src/network-manager.js";
import { type LabManager, startLabManager } from "../support/lab-manager.js";
import { describeAsRoot } from "../support/root.js";
import { waitUntil } from "../support/wait.js";

/**
 * The probes' timeouts follow each uplink's measured round trip: a 20 ms
 * uplink and a 300 ms one (lab/delayed-link.ts holds every packet in a
 * relay, this kernel has no netem), the daemon's default timings. The quick
 * one waits the floor and notices a silent upstream within the bound its
 * round trip gives; the slow one is not failed for being slow.
 */

const INTERNET_HOST = "203.0.113.53";
/** Nothing listens on it: a probe gets a reset, which counts as reachable. */
const PROBE_PORT = 53;

describeAsRoot("probe timeouts from the round trip, on uplinks of 20 ms and 300 ms", () => {
  let lab: Lab;
  let running: LabManager | undefined;
  let manager: NetworkManager;

  beforeAll(async () => {
    lab = await Lab.create({
      uplinks: [
        { ifname: "eth0", rttMs: 20 },
        { ifname: "wlan0", rttMs: 300 },
      ],
      internetHosts: [INTERNET_HOST],
    });
    running = await startLabManager(lab, {
      interfaces: { eth0: lab.staticConfig("eth0"), wlan0: lab.staticConfig("wlan0") },
      internetHosts: [{ host: INTERNET_HOST, port: PROBE_PORT }],
    });
    manager = running.manager;
  });

  afterAll(async () => {
    await running?.stop();
    await lab?.teardown();
  });

  const detail = (ifname: string, leaf: string) =>
    manager.get(["interface", ifname, "connectivity", leaf]);
  const number = (ifname: string, leaf: string) => Number(detail(ifname, leaf));

  it("measures each uplink's round trip and sets each probe's timeout from it", async () => {
    for (const ifname of ["eth0", "wlan0"]) {
      await waitUntil(
        `${ifname} at internet`,
        () => detail(ifname, "status") === "internet",
        60_000,
      );
    }
    // The relay adds a few milliseconds to the delay it holds packets for.
    for (const [ifname, lowest, highest] of [
      ["eth0", 18, 80],
      ["wlan0", 290, 450],
    ] as const) {
      await waitUntil(
        `${ifname}'s round trip, ${lowest}–${highest} ms`,
        () => {
          const rtt = number(ifname, "rtt_ms");
          return rtt >= lowest && rtt < highest;
        },
        30_000,
      );
    }
    // 20 ms + 4 deviations is below the floor; 300 ms and its deviations are above it.
    expect(number("eth0", "probe_timeout_ms")).toBe(DEFAULT_CONNECTIVITY.minTimeoutMs);
    const slow = number("wlan0", "probe_timeout_ms");
    expect(slow).toBeGreaterThan(300);
    expect(slow).toBeLessThan(DEFAULT_CONNECTIVITY.timeoutMs);
  });

  it("keeps the 300 ms uplink at internet, check after check", async () => {
    const spent = number("wlan0", "probe_bytes");
    let left: unknown;
    // Five more checks at least (a refused connect costs 142 B on the wire).
    await waitUntil(
      "five more checks of wlan0",
      () => {
        if (detail("wlan0", "status") !== "internet") left = detail("wlan0", "reason");
        return number("wlan0", "probe_bytes") >= spent + 5 * 142;
      },
      60_000,
      20,
    );
    expect(left).toBeUndefined();
    expect(number("wlan0", "failed_checks")).toBe(0);
  });

  it("notices eth0's silent upstream within the bound its round trip gives", async () => {
    const rtt = { srttMs: number("eth0", "rtt_ms"), rttvarMs: 0 };
    const boundMs = lossDetectionBoundMs(DEFAULT_CONNECTIVITY, rtt, 142);
    const { routerNs } = lab.uplink("eth0");
    const started = performance.now();
    await lab.ip(routerNs).batch([`route replace blackhole ${INTERNET_HOST}/32`]);
    try {
      // Slack for a loaded machine: the checker's wait and the route change.
      await waitUntil("eth0 at lan", () => detail("eth0", "status") === "lan", boundMs + 2_000, 10);
      const tookMs = performance.now() - started;
      console.log(`eth0 silent -> lan: ${Math.round(tookMs)} ms (bound ${boundMs} ms)`);
      expect(tookMs).toBeLessThan(boundMs + 2_000);
      expect(String(detail("eth0", "reason"))).toMatch(/^confirmed: .*timeout after \d+ ms/);
    } finally {
      await lab.ip(routerNs).batch([`route del blackhole ${INTERNET_HOST}/32`]);
    }
  });
});
