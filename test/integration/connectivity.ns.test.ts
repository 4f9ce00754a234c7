import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Lab } from "../../src/linux/lab.js";
import { createNetworkManager, type NetworkManager } from "../../src/network-manager.js";
import { describeAsRoot } from "../support/root.js";
import { waitUntil } from "../support/wait.js";

const INTERNET_HOST = "203.0.113.53";
/** Fast timings so the test takes seconds; the defaults are measured by `npm run bench`. */
const TIMINGS = {
  intervalMs: 1_000,
  timeoutMs: 500,
  lanIntervalMs: 500,
  recoveryIntervalMs: 300,
  recoveryChecks: 3,
  confirmProbes: 3,
};
const DETECTION_BOUND_MS = TIMINGS.intervalMs + 2 * TIMINGS.timeoutMs + 1_000;

describeAsRoot("connectivity checker on a real kernel: upstream loss and return", () => {
  let lab: Lab;
  let dir: string;
  let manager: NetworkManager;

  beforeAll(async () => {
    lab = await Lab.create({ uplinks: ["eth0", "wlan0"], internetHosts: [INTERNET_HOST] });
    dir = await mkdtemp(join(tmpdir(), "statenet-connectivity-"));
    manager = createNetworkManager({
      netns: lab.deviceNs,
      config: {
        interfaces: { eth0: lab.staticConfig("eth0"), wlan0: lab.staticConfig("wlan0") },
        // Nothing listens there: the host's kernel answers with a reset, which counts as reachable.
        internetHosts: [{ host: INTERNET_HOST, port: 53 }],
        resolvConf: join(dir, "resolv.conf"),
        tmpDir: join(dir, "run"),
        stateDir: join(dir, "state"),
      },
      connectivity: TIMINGS,
    });
    await manager.start();
  });

  afterAll(async () => {
    await manager?.stop();
    await lab?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const connection = (ifname: string) => manager.get(["interface", ifname, "connection"]);

  it("finds the Internet on both uplinks (a refused connection counts) and prefers eth0", async () => {
    await waitUntil(
      "both uplinks at internet",
      () => connection("eth0") === "internet" && connection("wlan0") === "internet",
      10_000,
    );
    expect(manager.get(["connection"])).toBe("internet");
    expect((await lab.routeGet(INTERNET_HOST)).dev).toBe("eth0");
    expect(manager.get(["interface", "eth0", "connectivity", "reason"])).toMatch(
      /refused|connected/,
    );
  });

  it("moves the default route to wlan0 when eth0's upstream goes silent, within the bound", async () => {
    const router = lab.uplink("eth0").routerNs;
    const started = performance.now();
    await lab.ip(router).batch([`route replace blackhole ${INTERNET_HOST}/32`]);
    await waitUntil(
      "the route to move to wlan0",
      async () => (await lab.routeGet(INTERNET_HOST)).dev === "wlan0",
      DETECTION_BOUND_MS + 2_000,
    );
    const failoverMs = performance.now() - started;
    expect(connection("eth0")).toBe("lan");
    expect(manager.get(["interface", "eth0", "connectivity", "reason"])).toMatch(/^confirmed: /);
    expect(connection("wlan0")).toBe("internet");
    expect(failoverMs).toBeLessThan(DETECTION_BOUND_MS);
    console.log(`upstream loss → default route on wlan0: ${failoverMs.toFixed(0)} ms`);
  });

  it("moves it back once eth0's upstream answers again for several checks", async () => {
    const router = lab.uplink("eth0").routerNs;
    const started = performance.now();
    await lab.ip(router).batch([`route del blackhole ${INTERNET_HOST}/32`]);
    await waitUntil(
      "the route to come back to eth0",
      async () => (await lab.routeGet(INTERNET_HOST)).dev === "eth0",
      10_000,
    );
    const failbackMs = performance.now() - started;
    // Not on the first good check: recovery needs several in a row.
    expect(failbackMs).toBeGreaterThan((TIMINGS.recoveryChecks - 1) * TIMINGS.recoveryIntervalMs);
    expect(connection("eth0")).toBe("internet");
    console.log(`upstream back → default route on eth0: ${failbackMs.toFixed(0)} ms`);
  });
});
