import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Lab, type LabServer, processAlive } from "../../lab/namespace-lab.js";
import { installHandler } from "../../src/dhcp/handler-script.js";
import type { DhcpEvent } from "../../src/dhcp/lease-event.js";
import { createReportServer, type ReportServer } from "../../src/dhcp/report-server.js";
import { startUdhcpc, type Udhcpc } from "../../src/dhcp/udhcpc.js";
import { createCommandRunner } from "../../src/linux/command-runner.js";
import { captureLogs } from "../support/capture-logs.js";
import { describeAsRoot } from "../support/root.js";

interface Seen {
  event: DhcpEvent;
  at: number;
}

/** The environment udhcpc runs with, as the kernel has it. */
async function environmentOf(pid: number): Promise<Record<string, string>> {
  const raw = await readFile(`/proc/${pid}/environ`, "utf8");
  return Object.fromEntries(
    raw
      .split("\0")
      .filter(Boolean)
      .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
  );
}

function runHandler(wrapper: string, env: Record<string, string>, event: string) {
  return new Promise<{ stderr: string }>((resolve, reject) => {
    execFile(wrapper, [event], { env }, (error, _stdout, stderr) =>
      error ? reject(error) : resolve({ stderr }),
    );
  });
}

function inLabRange(address: string): boolean {
  const [a, b, c, d] = address.split(".").map(Number);
  return a === 192 && b === 0 && c === 2 && d !== undefined && d >= 100 && d <= 150;
}

describeAsRoot("udhcpc supervisor against udhcpd in a lab", () => {
  let lab: Lab;
  let dhcpServer: LabServer;
  let dir: string;
  let server: ReportServer;
  let handlerPath: string;
  let udhcpc: Udhcpc | undefined;
  const { lines: logs, logger } = captureLogs();
  const events: Seen[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "statenet-udhcpc-test-"));
    lab = await Lab.create({ uplinks: ["eth0"] });
    dhcpServer = await lab.startDhcpServer("eth0");
    server = await createReportServer({ dir: join(dir, "run"), logger });
    handlerPath = await installHandler(join(dir, "handler"));
  });

  afterAll(async () => {
    await udhcpc?.stop();
    await server?.close();
    await dhcpServer?.stop();
    await lab?.teardown();
    await rm(dir, { recursive: true, force: true });
  });

  /** Waits for the first event after index `from` that matches. */
  async function nextEvent(from: number, match: (event: DhcpEvent) => boolean, timeoutMs = 5_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = events.slice(from).find((seen) => match(seen.event));
      if (found) return found;
      await sleep(5);
    }
    throw new Error(`no matching event within ${timeoutMs} ms: ${JSON.stringify(events)}`);
  }

  async function applyLease(event: DhcpEvent): Promise<void> {
    // Put the address on as statenet does, so udhcpc's unicast renew can bind to it.
    if (event.kind === "bound" || event.kind === "renew") {
      await lab
        .ip()
        .batch([`addr replace ${event.address}/${event.prefixLength} dev eth0 noprefixroute`]);
    }
  }

  let firstPid = 0;
  let firstToken = "";

  it("gets a lease from the lab's server within a second of starting", async () => {
    const started = Date.now();
    udhcpc = startUdhcpc({
      ifname: "eth0",
      hostname: "statenet-test",
      runner: createCommandRunner({ netns: lab.deviceNs }),
      server,
      handlerPath,
      logger,
      restartDelayMs: 100,
      onEvent: async (event) => {
        events.push({ event, at: Date.now() });
        await applyLease(event);
      },
    });
    const bound = await nextEvent(0, (event) => event.kind === "bound");
    const elapsed = bound.at - started;
    console.log(`start -> bound: ${elapsed} ms`);
    expect(elapsed).toBeLessThan(1_000);
    expect(events[0]?.event).toEqual({ kind: "deconfig", ifname: "eth0" });
    const lease = bound.event;
    if (lease.kind !== "bound") throw new Error("unreachable");
    expect(inLabRange(lease.address)).toBe(true);
    expect(lease).toMatchObject({
      ifname: "eth0",
      prefixLength: 24,
      routers: ["192.0.2.1"],
      nameServers: ["192.0.2.1"],
      leaseSeconds: 3600,
      serverId: "192.0.2.1",
    });
    const addresses = await lab
      .ip()
      .json<Array<{ addr_info: Array<{ local: string }> }>>(["addr", "show", "dev", "eth0"]);
    expect(addresses[0]?.addr_info.map((info) => info.local)).toContain(lease.address);
  });

  it("runs udhcpc in the device namespace with nothing of the manager's environment", async () => {
    const pid = udhcpc?.pid;
    if (pid === undefined) throw new Error("udhcpc is not running");
    const { stdout } = await execa("ip", ["netns", "pids", lab.deviceNs]);
    expect(stdout.split("\n")).toContain(String(pid));
    const env = await environmentOf(pid);
    expect(Object.keys(env).sort()).toEqual([
      "PATH",
      "STATENET_DHCP_SOCKET",
      "STATENET_DHCP_TOKEN",
    ]);
    expect(env.STATENET_DHCP_SOCKET).toBe(server.path);
    expect(env.STATENET_DHCP_TOKEN).toMatch(/^[0-9a-f]{32}$/);
    firstPid = pid;
    firstToken = env.STATENET_DHCP_TOKEN ?? "";
  });

  it("logs a bad report, answers it and goes on", async () => {
    const before = events.length;
    const { stderr } = await runHandler(
      handlerPath,
      {
        interface: "eth0",
        ip: "192.0.2.999",
        mask: "24",
        STATENET_DHCP_SOCKET: server.path,
        STATENET_DHCP_TOKEN: firstToken,
      },
      "bound",
    );
    expect(stderr).toBe("");
    expect(events.length).toBe(before);
    const warning = logs.find((line) => line.msg === "ignored a bad DHCP report");
    expect(warning).toMatchObject({ field: "ip" });
    expect(udhcpc?.pid).toBe(firstPid);
  });

  it("renews on request", async () => {
    const before = events.length;
    udhcpc?.renew();
    const renewed = await nextEvent(before, (event) => event.kind !== "deconfig", 3_000);
    expect(["renew", "bound"]).toContain(renewed.event.kind);
  });

  it("takes two renewals asked at once for one: the lease stays on, udhcpc is not restarted", async () => {
    const before = events.length;
    udhcpc?.renew();
    // A second SIGUSR1 this soon would make udhcpc drop the lease and start over.
    udhcpc?.renew();
    await nextEvent(before, (event) => event.kind === "renew" || event.kind === "bound");
    expect(events.slice(before).map((seen) => seen.event.kind)).not.toContain("deconfig");
    expect(logs.some((line) => line.msg === "a renewal is under way: not asking again")).toBe(true);
    expect(udhcpc?.pid).toBe(firstPid);
    expect(udhcpc?.restarts).toBe(0);
  });

  it("keeps the address through a renewal the server ignores, until a discover gets the lease again", async () => {
    const held = events.findLast((seen) => seen.event.kind !== "deconfig")?.event;
    // A restarted udhcpd has forgotten its leases and stays silent to a renewing client.
    await dhcpServer.stop();
    dhcpServer = await lab.startDhcpServer("eth0");
    const before = events.length;
    udhcpc?.renew();
    const bound = await nextEvent(before, (event) => event.kind === "bound", 15_000);
    expect(
      logs.some((line) =>
        String(line.msg).startsWith("udhcpc gave up a renewal before the lease ends"),
      ),
    ).toBe(true);
    // Not a moment without the address: no deconfig reached the interface.
    expect(events.slice(before).map((seen) => seen.event.kind)).toEqual(["bound"]);
    expect(bound.event).toMatchObject({ address: (held as { address: string }).address });
    expect(udhcpc?.restarts).toBe(0);
  });

  it("restarts udhcpc killed with SIGKILL and gets the lease again", async () => {
    const before = events.length;
    const killedAt = Date.now();
    process.kill(firstPid, "SIGKILL");
    const deconfig = await nextEvent(before, (event) => event.kind === "deconfig");
    const bound = await nextEvent(before, (event) => event.kind === "bound");
    console.log(
      `kill -> deconfig: ${deconfig.at - killedAt} ms, kill -> bound again: ${bound.at - killedAt} ms`,
    );
    expect(deconfig.at).toBeLessThanOrEqual(bound.at);
    expect(bound.at - killedAt).toBeLessThan(2_000);
    expect(udhcpc?.restarts).toBe(1);
    expect(udhcpc?.pid).toBeDefined();
    expect(udhcpc?.pid).not.toBe(firstPid);
    expect(processAlive(firstPid)).toBe(false);
    expect(logs.some((line) => line.msg === "udhcpc exited" && line.signal === "SIGKILL")).toBe(
      true,
    );
  });

  it("refuses reports carrying the killed instance's token or a made-up one", async () => {
    const before = events.length;
    for (const token of [firstToken, "0123456789abcdef0123456789abcdef"]) {
      const { stderr } = await runHandler(
        handlerPath,
        {
          interface: "eth0",
          ip: "192.0.2.140",
          mask: "24",
          STATENET_DHCP_SOCKET: server.path,
          STATENET_DHCP_TOKEN: token,
        },
        "bound",
      );
      expect(stderr).toMatch(/error unknown token/);
    }
    await sleep(100);
    expect(events.length).toBe(before);
  });

  it("starts a released client over when renewed: it asks at once", async () => {
    const released = events.length;
    udhcpc?.release();
    await nextEvent(released, (event) => event.kind === "deconfig");
    const pid = udhcpc?.pid;
    // Released, udhcpc waits for SIGUSR1, which it may lose while its deconfig script runs.
    const before = events.length;
    udhcpc?.renew();
    await nextEvent(before, (event) => event.kind === "bound");
    expect(udhcpc?.pid).not.toBe(pid);
  });

  it("stops: udhcpc is gone, it does not come back, no event follows", async () => {
    const pid = udhcpc?.pid;
    if (pid === undefined || !udhcpc) throw new Error("udhcpc is not running");
    const restarts = udhcpc.restarts;
    const stoppedAt = Date.now();
    await udhcpc.stop();
    console.log(`stop: ${Date.now() - stoppedAt} ms`);
    const after = events.length;
    expect(processAlive(pid)).toBe(false);
    expect(udhcpc.pid).toBeUndefined();
    await sleep(500);
    expect(udhcpc.restarts).toBe(restarts);
    expect(udhcpc.pid).toBeUndefined();
    expect(events.length).toBe(after);
  });

  it("backs off exponentially when udhcpc keeps failing", async () => {
    const exits: number[] = [];
    const failing = startUdhcpc({
      ifname: "eth0",
      runner: createCommandRunner({ netns: lab.deviceNs }),
      server,
      handlerPath,
      logger,
      restartDelayMs: 40,
      // A "udhcpc" that dies at once.
      udhcpcPath: "false",
      onEvent: async (event) => {
        if (event.kind === "deconfig") exits.push(Date.now());
      },
    });
    try {
      const deadline = Date.now() + 5_000;
      while (exits.length < 5 && Date.now() < deadline) await sleep(5);
    } finally {
      await failing.stop();
    }
    expect(exits.length).toBeGreaterThanOrEqual(5);
    const gaps = exits.slice(1).map((at, index) => at - (exits[index] ?? at));
    console.log(`restart gaps: ${gaps.join(", ")} ms`);
    // 40, 80, 160, 320 ms of delay, plus the time to start a process.
    expect(gaps[0]).toBeGreaterThanOrEqual(40);
    expect(gaps[1]).toBeGreaterThanOrEqual(80);
    expect(gaps[2]).toBeGreaterThanOrEqual(160);
    expect(gaps[3]).toBeGreaterThanOrEqual(320);
    expect(failing.restarts).toBeGreaterThanOrEqual(4);
  });

  it("stop() kills a udhcpc that ignores SIGTERM after 2 s", async () => {
    const stubborn = join(dir, "stubborn");
    // An ignored signal stays ignored across exec: sleep itself will not die of SIGTERM.
    await writeFile(stubborn, "#!/bin/sh\ntrap '' TERM\nexec sleep 30\n", { mode: 0o700 });
    const supervisor = startUdhcpc({
      ifname: "eth0",
      runner: createCommandRunner({ netns: lab.deviceNs }),
      server,
      handlerPath,
      logger,
      udhcpcPath: stubborn,
      onEvent: async () => {},
    });
    const pid = supervisor.pid;
    if (pid === undefined) throw new Error("did not start");
    await sleep(100);
    const started = Date.now();
    await supervisor.stop();
    const took = Date.now() - started;
    console.log(`stop of a process ignoring SIGTERM: ${took} ms`);
    expect(took).toBeGreaterThanOrEqual(2_000);
    expect(took).toBeLessThan(3_000);
    expect(processAlive(pid)).toBe(false);
  });
});
