import { afterAll, beforeAll, expect, it } from "vitest";
import { Lab } from "../../lab/namespace-lab.js";
import type { InterfaceConfig } from "../../src/config/schema.js";
import type { NetworkManager } from "../../src/network-manager.js";
import { FAST_CHECKS } from "../support/fast-checks.js";
import { type LabManager, startLabManager } from "../support/lab-manager.js";
import { type Started, startEchoClient, startInternetServer } from "../support/lab-processes.js";
import { describeAsRoot } from "../support/root.js";
import { waitUntil } from "../support/wait.js";

const INTERNET_HOST = "203.0.113.53";
/** The device's IPv6 prefix on eth0, the router's link to the internet host, and that host. */
const DEVICE_PREFIX = "2001:db8:1::/64";
const DEVICE_V6 = "2001:db8:1::10";
const ROUTER_V6 = "2001:db8:1::1";
const TRANSIT = { router: "2001:db8:ff::1", internet: "2001:db8:ff::2" };
const INTERNET_V6 = "2001:db8:99::53";
const ECHO_PORT = 7;
const TIMINGS = {
  ...FAST_CHECKS,
  holdDownBaseMs: 2_000,
};

/**
 * The device's own IPv6 connections are passive evidence like IPv4 ones: an
 * IPv6 session through eth0 stands in for the checker's (IPv4) probes, and
 * an IPv6 session that only retransmits makes it check at once.
 */
describeAsRoot("passive evidence from IPv6 connections on a real kernel", () => {
  let lab: Lab;
  let running: LabManager | undefined;
  let manager: NetworkManager;
  const started: Started[] = [];

  const withTimings = (timings: typeof TIMINGS) =>
    ({ ...lab.staticConfig("eth0"), connectivity: timings }) as InterfaceConfig;

  beforeAll(async () => {
    lab = await Lab.create({ uplinks: ["eth0"], internetHosts: [INTERNET_HOST] });
    const internetNs = lab.internetNs as string;
    const { routerNs } = lab.uplink("eth0");
    // IPv6 beside the lab's IPv4: router and internet host first (the device's comes later:
    // configuring eth0 flushes its addresses).
    await lab
      .ip(routerNs)
      .batch([
        `addr add ${ROUTER_V6}/64 dev down0 nodad`,
        `addr add ${TRANSIT.router}/64 dev up0 nodad`,
        `route add default via ${TRANSIT.internet} dev up0`,
      ]);
    await lab.exec(routerNs, "sh", ["-c", "echo 1 > /proc/sys/net/ipv6/conf/all/forwarding"]);
    await lab
      .ip(internetNs)
      .batch([
        `addr add ${INTERNET_V6}/128 dev lo`,
        `addr add ${TRANSIT.internet}/64 dev r0 nodad`,
        `route add ${DEVICE_PREFIX} via ${TRANSIT.router} dev r0`,
      ]);
    started.push(await startInternetServer(internetNs, INTERNET_V6, { echo: [ECHO_PORT] }));
    running = await startLabManager(
      lab,
      {
        interfaces: { eth0: withTimings(TIMINGS) },
        internetHosts: [{ host: INTERNET_HOST, port: 53 }],
      },
      { trafficSampleMs: 300 },
    );
    manager = running.manager;
    await waitUntil("eth0 at internet", () => connection() === "internet", 15_000);
    await lab
      .ip()
      .batch([
        `addr add ${DEVICE_V6}/64 dev eth0 nodad`,
        `route add default via ${ROUTER_V6} dev eth0`,
      ]);
  });

  afterAll(async () => {
    await running?.stop();
    for (const process of started) await process.stop();
    await lab?.teardown();
  });

  const connection = () => manager.get(["interface", "eth0", "connection"]);
  const detail = (leaf: string) => manager.get(["interface", "eth0", "connectivity", leaf]);
  const blackholes = (action: "replace" | "del") =>
    lab
      .ip(lab.uplink("eth0").routerNs)
      .batch([
        `route ${action} blackhole ${INTERNET_HOST}/32`,
        `route ${action} blackhole ${INTERNET_V6}/128`,
      ]);

  it("counts an IPv6 session as a good check, and checks at once when it stalls", async () => {
    const client = await startEchoClient(lab.deviceNs, DEVICE_V6, {
      host: INTERNET_V6,
      port: ECHO_PORT,
    });
    started.push(client);
    let sent = 0;
    const chatter = setInterval(() => client.child.stdin?.write(`line ${++sent}\n`), 100);
    try {
      // The IPv4 probes say "refused (reachable)": only the IPv6 session can say this.
      await waitUntil("the IPv6 session to count", () => detail("reason") === "traffic seen");
      // Checked every 30 s once the running 1 s timer has fired: only the stalled IPv6 session
      // explains a quick drop.
      const checkedBefore = detail("last_check");
      await manager.configure("eth0", withTimings({ ...TIMINGS, intervalMs: 30_000 }));
      await waitUntil(
        "the last check on the old timer",
        () => detail("last_check") !== checkedBefore,
      );
      expect(connection()).toBe("internet");
      const lost = performance.now();
      await blackholes("replace");
      await waitUntil("eth0 down to lan", () => connection() === "lan", 10_000);
      expect(performance.now() - lost).toBeLessThan(10_000);
      expect(detail("reason")).toMatch(/^confirmed: /);
    } finally {
      clearInterval(chatter);
      await blackholes("del").catch(() => {});
      await client.stop();
    }
  });
});
