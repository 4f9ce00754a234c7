import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Actor, waitFor } from "xstate";
import { Lab, type LabUplink } from "../../lab/namespace-lab.js";
import type { RouteManagerMachine } from "../../machines/route-manager.js";
import { PublicProbeRefusedError } from "../../src/connectivity/lab-address-guard.js";
import {
  readTcpSockets,
  type TcpSocketInfo,
  trafficEvidence,
} from "../../src/connectivity/passive-evidence.js";
import { createProber, type Prober } from "../../src/connectivity/prober.js";
import type { ProbeRequest, ProbeTarget } from "../../src/connectivity/tcp-probe.js";
import { createCommandRunner } from "../../src/linux/command-runner.js";
import { startLinuxRouteManager } from "../../src/linux/route-manager.js";
import { silentLogger } from "../../src/log.js";
import { PropertyTable } from "../../src/properties/property-table.js";
import { type Started, startEchoClient, startInternetServer } from "../support/lab-processes.js";
import { describeAsRoot } from "../support/root.js";
import { waitUntil } from "../support/wait.js";

const INTERNET_HOST = "203.0.113.53";
const PROBE_PORT = 53;
const ECHO_PORT = 7;
const CLOSED_PORT = 54;
const FAIL_TIMEOUT_MS = 500;

describeAsRoot("TCP probe and passive evidence on a real kernel (network namespaces)", () => {
  let lab: Lab;
  let eth0: LabUplink;
  let wlan0: LabUplink;
  let routes: Actor<RouteManagerMachine>;
  let prober: Prober;
  let internet: Started;
  const started: Started[] = [];
  const timings: Record<string, number> = {};

  const target: ProbeTarget = { host: INTERNET_HOST, port: PROBE_PORT };
  const from = (uplink: LabUplink, overrides: Partial<ProbeRequest> = {}): ProbeRequest => ({
    sourceAddress: uplink.deviceAddress,
    nameServers: [],
    targets: [target],
    timeoutMs: 2_000,
    ...overrides,
  });

  const routerRun = (uplink: LabUplink, file: string, args: string[]) =>
    lab.exec(uplink.routerNs, file, args);

  async function timed<T>(name: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    const result = await work();
    timings[name] = Math.round((performance.now() - start) * 10) / 10;
    return result;
  }

  /** Pids in the device namespace running the probe helper. */
  function helperPids(): number[] {
    const listing = spawnSync("ip", ["netns", "pids", lab.deviceNs], { encoding: "utf8" });
    return listing.stdout
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
      .filter((pid) => commandLine(pid).includes("probe-helper"));
  }

  beforeAll(async () => {
    lab = await Lab.create({ uplinks: ["eth0", "wlan0"], internetHosts: [INTERNET_HOST] });
    eth0 = lab.uplink("eth0");
    wlan0 = lab.uplink("wlan0");
    await lab.addDeviceAddresses();
    routes = startLinuxRouteManager({
      ip: lab.ip(),
      properties: new PropertyTable(),
      logger: silentLogger(),
    });
    for (const uplink of lab.uplinks) {
      const { addresses, gateway } = lab.routing(uplink);
      routes.send({ type: "route.set_addresses", ifname: uplink.ifname, addresses, gateway });
      routes.send({
        type: "route.set_connection",
        ifname: uplink.ifname,
        status: "internet",
        reason: "probe test",
      });
    }
    await new Promise((resolve) => setImmediate(resolve));
    await waitFor(routes, (snapshot) => snapshot.matches("idle"), { timeout: 5_000 });
    internet = await startInternetServer(lab.internetNs as string, INTERNET_HOST, {
      greet: [PROBE_PORT],
      echo: [ECHO_PORT],
    });
    started.push(internet);
    prober = createProber({ netns: lab.deviceNs, logger: silentLogger() });
  });

  afterAll(async () => {
    await prober?.close();
    for (const process of started) await process.stop();
    routes?.stop();
    await lab?.teardown();
    if (process.env.STATENET_SHOW_TIMINGS) console.info("probe timings (ms)", timings);
  });

  it("reaches the internet host from each uplink's address, through that uplink", async () => {
    // The first probe also starts the helper inside the namespace.
    const first = await timed("first probe (helper start)", () => prober.probe(from(eth0)));
    expect(first).toMatchObject({ ok: true });
    expect(first.detail).toMatch(/^203\.0\.113\.53:53 connected in [\d.]+ ms$/);
    const viaEth0 = await timed("ok eth0", () => prober.probe(from(eth0)));
    const viaWlan0 = await timed("ok wlan0", () => prober.probe(from(wlan0)));
    expect(viaEth0.ok && viaWlan0.ok).toBe(true);
    timings["ok eth0 rtt"] = viaEth0.rttMs ?? -1;
    expect((await lab.routeGet(INTERNET_HOST, eth0.deviceAddress)).dev).toBe("eth0");
    expect((await lab.routeGet(INTERNET_HOST, wlan0.deviceAddress)).dev).toBe("wlan0");
  });

  it("fails without a connection when the kernel would send it out of another interface", async () => {
    // eth0's address is routed by eth0's rule: a probe that must leave by wlan0 from it would vouch for eth0.
    const result = await prober.probe(from(eth0, { ifname: "wlan0" }));
    expect(result).toEqual({
      ok: false,
      detail: `nothing reachable from ${eth0.deviceAddress}: ${INTERNET_HOST}:${PROBE_PORT} routed via eth0, not wlan0`,
      // Refused before anything was sent.
      bytes: 0,
    });
    expect((await prober.probe(from(eth0, { ifname: "eth0" }))).ok).toBe(true);
  });

  it("times out on eth0 behind a blackhole while wlan0 still gets through", async () => {
    await routerRun(eth0, "ip", ["route", "replace", "blackhole", `${INTERNET_HOST}/32`]);
    try {
      const start = performance.now();
      const [viaEth0, viaWlan0] = await Promise.all([
        prober.probe(from(eth0, { timeoutMs: FAIL_TIMEOUT_MS })),
        prober.probe(from(wlan0, { timeoutMs: FAIL_TIMEOUT_MS })),
      ]);
      timings["timeout eth0 (500 ms budget)"] = Math.round(performance.now() - start);
      expect(viaEth0).toEqual({
        ok: false,
        detail: `nothing reachable from ${eth0.deviceAddress}: ${INTERNET_HOST}:53 timeout after ${FAIL_TIMEOUT_MS} ms`,
        // One SYN, into the blackhole.
        bytes: 78,
      });
      expect(viaWlan0.ok).toBe(true);
      expect(performance.now() - start).toBeGreaterThanOrEqual(FAIL_TIMEOUT_MS - 5);
      expect(performance.now() - start).toBeLessThan(FAIL_TIMEOUT_MS + 1_000);
    } finally {
      await routerRun(eth0, "ip", ["route", "del", "blackhole", `${INTERNET_HOST}/32`]);
    }
    expect((await prober.probe(from(eth0))).ok).toBe(true);
  });

  it("fails at once on an unreachable route (ICMP from the router)", async () => {
    await routerRun(eth0, "ip", ["route", "replace", "unreachable", `${INTERNET_HOST}/32`]);
    try {
      const result = await timed("unreachable eth0", () => prober.probe(from(eth0)));
      expect(result.ok).toBe(false);
      expect(result.detail).toContain("EHOSTUNREACH");
      expect(timings["unreachable eth0"]).toBeLessThan(1_000);
    } finally {
      await routerRun(eth0, "ip", ["route", "del", "unreachable", `${INTERNET_HOST}/32`]);
    }
  });

  it("counts a TCP reset (firewall or closed port) as reachable", async () => {
    await lab.exec(eth0.routerNs, "sh", [
      "-c",
      `nft add table inet sim && nft add chain inet sim forward_chain '{ type filter hook forward priority 0; policy accept; }' && nft add rule inet sim forward_chain ip daddr ${INTERNET_HOST} tcp dport ${PROBE_PORT} reject with tcp reset`,
    ]);
    try {
      const reset = await timed("refused by nft reset", () => prober.probe(from(eth0)));
      expect(reset.ok).toBe(true);
      expect(reset.detail).toMatch(/^203\.0\.113\.53:53 refused \(reachable\) in [\d.]+ ms$/);
    } finally {
      await routerRun(eth0, "nft", ["delete", "table", "inet", "sim"]);
    }
    const closed = await timed("refused closed port", () =>
      prober.probe(from(eth0, { targets: [{ host: INTERNET_HOST, port: CLOSED_PORT }] })),
    );
    expect(closed.ok).toBe(true);
    expect(closed.detail).toContain(`${INTERNET_HOST}:${CLOSED_PORT} refused (reachable)`);
  });

  it("resolves a host name through the interface's own name server", async () => {
    const dnsmasq = await lab.startNameServer("eth0", { "internet.test": INTERNET_HOST });
    try {
      const named = { nameServers: [eth0.routerAddress], ifname: "eth0" };
      const result = await timed("ok by name", () =>
        prober.probe(from(eth0, { ...named, targets: [{ host: "internet.test", port: 53 }] })),
      );
      expect(result.ok).toBe(true);
      expect(result.detail).toMatch(/^internet\.test:53 \(203\.0\.113\.53\) connected in/);
      const unknown = await prober.probe(
        from(eth0, { ...named, targets: [{ host: "nowhere.test", port: 53 }] }),
      );
      expect(unknown.ok).toBe(false);
      expect(unknown.detail).toContain("nowhere.test:53 name not resolved");
      // A name server the kernel would reach through another interface is not asked.
      const elsewhere = await prober.probe(
        from(eth0, { ...named, ifname: "wlan0", targets: [{ host: "internet.test", port: 53 }] }),
      );
      expect(elsewhere.detail).toContain("name server routed via eth0, not wlan0");
    } finally {
      await dnsmasq.stop();
    }
  });

  it("refuses public addresses (STATENET_REQUIRE_NETNS), before the helper and inside it", async () => {
    const literal = prober.probe(from(eth0, { targets: [{ host: "1.1.1.1", port: 53 }] }));
    await expect(literal).rejects.toBeInstanceOf(PublicProbeRefusedError);
    // A name is resolved in the helper: the helper refuses what it resolves to.
    const dnsmasq = await lab.startNameServer("eth0", { "public.test": "1.1.1.1" });
    try {
      const named = await prober.probe(
        from(eth0, {
          nameServers: [eth0.routerAddress],
          ifname: "eth0",
          targets: [{ host: "public.test", port: 53 }],
        }),
      );
      expect(named.ok).toBe(false);
      expect(named.detail).toContain(
        "PublicProbeRefusedError: refusing to probe public.test:53 (1.1.1.1)",
      );
    } finally {
      await dnsmasq.stop();
    }
  });

  it("sees traffic of a live connection, and a stall when the path goes dark", async () => {
    const runner = createCommandRunner({ netns: lab.deviceNs });
    const client = await startEchoClient(lab.deviceNs, eth0.deviceAddress, {
      host: INTERNET_HOST,
      port: ECHO_PORT,
    });
    started.push(client);
    const offLink = (remote: string) => !remote.startsWith("192.0.2.");
    const echoed = async (text: string) => {
      client.child.stdin?.write(`${text}\n`);
      await waitUntil(`echo of ${text}`, () => client.lines.includes(text));
    };
    await echoed("first");
    const before: TcpSocketInfo[] = await readTcpSockets(runner);
    expect(trafficEvidence(before, before, eth0.deviceAddress, offLink)).toBe("none");
    await echoed("second");
    const after = await readTcpSockets(runner);
    expect(trafficEvidence(before, after, eth0.deviceAddress, offLink)).toBe("seen");
    expect(trafficEvidence(before, after, wlan0.deviceAddress, offLink)).toBe("none");

    await routerRun(eth0, "ip", ["route", "replace", "blackhole", `${INTERNET_HOST}/32`]);
    try {
      client.child.stdin?.write("lost\n");
      // The first retransmission comes after the minimum RTO, about 200 ms.
      const stalled = await waitUntil("a retransmission", async () => {
        const now = await readTcpSockets(runner);
        return trafficEvidence(after, now, eth0.deviceAddress, offLink) === "stalled";
      });
      expect(stalled).toBe(true);
    } finally {
      await routerRun(eth0, "ip", ["route", "del", "blackhole", `${INTERNET_HOST}/32`]);
      await client.stop();
    }
  });

  it("fails a probe whose helper dies, and starts a new helper for the next", async () => {
    const [pid] = helperPids();
    expect(pid).toBeTypeOf("number");
    await routerRun(eth0, "ip", ["route", "replace", "blackhole", `${INTERNET_HOST}/32`]);
    try {
      const hanging = prober.probe(from(eth0, { timeoutMs: 10_000 }));
      await new Promise((resolve) => setTimeout(resolve, 100));
      process.kill(pid as number, "SIGKILL");
      const result = await hanging;
      expect(result.ok).toBe(false);
      expect(result.detail).toMatch(/^probe helper in \S+ exited \(SIGKILL\)/);
    } finally {
      await routerRun(eth0, "ip", ["route", "del", "blackhole", `${INTERNET_HOST}/32`]);
    }
    expect((await prober.probe(from(eth0))).ok).toBe(true);
    expect(helperPids()).toHaveLength(1);
    expect(helperPids()).not.toContain(pid);
  });

  it("fails with the helper's own words when it cannot start", async () => {
    const broken = createProber({ netns: `${lab.name}-missing`, logger: silentLogger() });
    try {
      const result = await broken.probe(from(eth0));
      expect(result.ok).toBe(false);
      expect(result.detail).toMatch(
        /^probe helper in \S+-missing exited \(code 255\): Cannot open network namespace/,
      );
    } finally {
      await broken.close();
    }
  });

  it("cancels a probe on abort, and stops its helper on close", async () => {
    await routerRun(eth0, "ip", ["route", "replace", "blackhole", `${INTERNET_HOST}/32`]);
    try {
      const controller = new AbortController();
      const probe = prober.probe(from(eth0, { timeoutMs: 10_000 }), controller.signal);
      setTimeout(() => controller.abort(new Error("checker stopped")), 50);
      await expect(probe).rejects.toThrow("checker stopped");
    } finally {
      await routerRun(eth0, "ip", ["route", "del", "blackhole", `${INTERNET_HOST}/32`]);
    }
    expect((await prober.probe(from(eth0))).ok).toBe(true);
    await prober.close();
    expect(helperPids()).toEqual([]);
    expect(await prober.probe(from(eth0))).toEqual({ ok: false, detail: "prober closed" });
  });
});

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}
