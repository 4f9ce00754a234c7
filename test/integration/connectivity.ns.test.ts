import { afterAll, beforeAll, expect, it } from "vitest";
import { Lab, type LabServer } from "../../lab/namespace-lab.js";
import { DEFAULT_CONNECTIVITY, lossDetectionBoundMs } from "../../machines/connectivity-checker.js";
import type { InterfaceConfig } from "../../src/config/schema.js";
import type { NetworkManager } from "../../src/network-manager.js";
import { FAST_CHECKS } from "../support/fast-checks.js";
import { type LabManager, startLabManager } from "../support/lab-manager.js";
import { type Started, startEchoClient, startInternetServer } from "../support/lab-processes.js";
import { describeAsRoot } from "../support/root.js";
import { waitUntil } from "../support/wait.js";

const INTERNET_HOST = "203.0.113.53";
/** Each uplink's router answers this name with the internet host; the device has no other resolver. */
const INTERNET_NAME = "internet.test";
const ECHO_PORT = 7;
/** Fast timings (see FAST_CHECKS), with a confirmation and hold-down the tests can watch. */
const TIMINGS = {
  ...FAST_CHECKS,
  recoveryChecks: 3,
  confirmProbes: 3,
  holdDownBaseMs: 2_000,
  // A probe by name costs its DNS exchange too (about 320 B): a budget that keeps the 1 s interval.
  maxBytesPerDay: 100_000_000,
};
/** The checker's own bound for a silent upstream (no round trip known: every probe at the ceiling), and a second of slack. */
const DETECTION_BOUND_MS =
  lossDetectionBoundMs({ ...DEFAULT_CONNECTIVITY, ...TIMINGS }, undefined, 400) + 1_000;

describeAsRoot("connectivity checker on a real kernel: upstream loss and return", () => {
  let lab: Lab;
  let running: LabManager | undefined;
  let manager: NetworkManager;
  const servers: Array<LabServer | Started> = [];

  const withTimings = (ifname: string, timings: Partial<typeof TIMINGS> = TIMINGS) =>
    ({ ...lab.staticConfig(ifname), connectivity: timings }) as InterfaceConfig;

  beforeAll(async () => {
    lab = await Lab.create({ uplinks: ["eth0", "wlan0"], internetHosts: [INTERNET_HOST] });
    for (const ifname of ["eth0", "wlan0"]) {
      servers.push(await lab.startNameServer(ifname, { [INTERNET_NAME]: INTERNET_HOST }));
    }
    // Only the echo port listens: the probe port gets a reset, which counts as reachable.
    servers.push(
      await startInternetServer(lab.internetNs as string, INTERNET_HOST, { echo: [ECHO_PORT] }),
    );
    running = await startLabManager(
      lab,
      {
        // Timings per interface, as a configuration file gives them.
        interfaces: { eth0: withTimings("eth0"), wlan0: withTimings("wlan0") },
        internetHosts: [{ host: INTERNET_NAME, port: 53 }],
      },
      { trafficSampleMs: 300 },
    );
    manager = running.manager;
  });

  afterAll(async () => {
    await running?.stop();
    for (const server of servers) await server.stop();
    await lab?.teardown();
  });

  const connection = (ifname: string) => manager.get(["interface", ifname, "connection"]);
  const detail = (ifname: string, leaf: string) =>
    manager.get(["interface", ifname, "connectivity", leaf]);
  const blackhole = (action: "replace" | "del") =>
    lab.ip(lab.uplink("eth0").routerNs).batch([`route ${action} blackhole ${INTERNET_HOST}/32`]);
  const routedVia = async (ifname: string) => (await lab.routeGet(INTERNET_HOST)).dev === ifname;

  /**
   * The manager publishes `connection` once the kernel holds the new routes,
   * that is after its `ip -batch` exits: a test that saw the route move may
   * read the property a moment before that.
   */
  const published = (ifname: string, expected: string) =>
    waitUntil(
      `${ifname}'s connection published as ${expected}`,
      () => connection(ifname) === expected,
      2_000,
    );

  /** Silences eth0's upstream; resolves with the time until the default route left eth0. */
  async function loseUpstream(boundMs: number): Promise<number> {
    const started = performance.now();
    await blackhole("replace");
    await waitUntil("the route to move to wlan0", () => routedVia("wlan0"), boundMs + 2_000);
    const movedMs = performance.now() - started;
    await published("eth0", "lan");
    return movedMs;
  }

  /** Lets eth0's upstream answer again; resolves with the time until the route came back. */
  async function restoreUpstream(boundMs: number): Promise<number> {
    const started = performance.now();
    await blackhole("del");
    await waitUntil("the route to come back to eth0", () => routedVia("eth0"), boundMs);
    const movedMs = performance.now() - started;
    await published("eth0", "internet");
    return movedMs;
  }

  it("finds the Internet on both uplinks, by a name each resolves through its own DNS server", async () => {
    await waitUntil(
      "both uplinks at internet",
      () => connection("eth0") === "internet" && connection("wlan0") === "internet",
      10_000,
    );
    expect(manager.get(["connection"])).toBe("internet");
    expect(await routedVia("eth0")).toBe(true);
    // A reset from the host counts: something on the Internet answered.
    expect(detail("eth0", "reason")).toMatch(
      /^internet\.test:53 \(203\.0\.113\.53\) refused \(reachable\)/,
    );
  });

  it("moves the default route to wlan0 when eth0's upstream goes silent, within the bound", async () => {
    const failoverMs = await loseUpstream(DETECTION_BOUND_MS);
    expect(detail("eth0", "reason")).toMatch(/^confirmed: /);
    expect(connection("wlan0")).toBe("internet");
    expect(failoverMs).toBeLessThan(DETECTION_BOUND_MS);
    console.log(`upstream loss → default route on wlan0: ${failoverMs.toFixed(0)} ms`);
  });

  it("moves it back once eth0's upstream answers again for several checks", async () => {
    const failbackMs = await restoreUpstream(10_000);
    // Not on the first good check: recovery needs several in a row.
    expect(failbackMs).toBeGreaterThan((TIMINGS.recoveryChecks - 1) * TIMINGS.recoveryIntervalMs);
    console.log(`upstream back → default route on eth0: ${failbackMs.toFixed(0)} ms`);
  });

  it("holds a link that flaps again down before it may come back, and shows until when", async () => {
    await loseUpstream(DETECTION_BOUND_MS);
    const holdDownUntil = detail("eth0", "hold_down_until");
    expect(typeof holdDownUntil).toBe("string");
    expect(Date.parse(holdDownUntil as string)).toBeGreaterThan(Date.now());
    const failbackMs = await restoreUpstream(15_000);
    expect(failbackMs).toBeGreaterThan(TIMINGS.holdDownBaseMs);
    expect(detail("eth0", "hold_down_until")).toBeNull();
    console.log(`second flap: back on eth0 after ${failbackMs.toFixed(0)} ms`);
  });

  it("counts the device's own traffic as a good check, and probes at once when it stalls", async () => {
    const client = await startEchoClient(lab.deviceNs, lab.uplink("eth0").deviceAddress, {
      host: INTERNET_HOST,
      port: ECHO_PORT,
    });
    servers.push(client);
    let sent = 0;
    const chatter = setInterval(() => client.child.stdin?.write(`line ${++sent}\n`), 100);
    try {
      await waitUntil("eth0's traffic to count", () => detail("eth0", "reason") === "traffic seen");
      // Checked every 30 s from now on: only the stalled connection can explain a quick failover.
      manager.configure("eth0", withTimings("eth0", { ...TIMINGS, intervalMs: 30_000 }));
      await waitUntil("eth0 at internet with the new timings", async () => {
        return connection("eth0") === "internet" && (await routedVia("eth0"));
      });
      const failoverMs = await loseUpstream(5_000);
      expect(failoverMs).toBeLessThan(5_000);
      expect(detail("eth0", "reason")).toMatch(/^confirmed: /);
      console.log(`stalled connection → default route on wlan0: ${failoverMs.toFixed(0)} ms`);
    } finally {
      clearInterval(chatter);
      await blackhole("del").catch(() => {});
      await client.stop();
    }
  });
});
