import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Lab, type LabServer } from "../../lab/namespace-lab.js";
import type { InterfaceConfig } from "../../src/config/schema.js";
import type { NetworkManager } from "../../src/network-manager.js";
import { captureLogs } from "../support/capture-logs.js";
import { type LabManager, startLabManager } from "../support/lab-manager.js";
import { describeAsRoot } from "../support/root.js";
import { waitUntil } from "../support/wait.js";

const INTERNET_HOST = "203.0.113.53";
const APN = "lab.apn";
const CONNECTIVITY = {
  intervalMs: 500,
  timeoutMs: 300,
  lanIntervalMs: 300,
  lanBackoffMaxMs: 1_000,
};
const FAKE_MODEM = new URL("./fixtures/fake-modem.sh", import.meta.url).pathname;

type Mode = "fail" | "hang" | "dhcp" | "reported";

/** The fake modem's commands in a directory of the test's own (it logs its calls beside itself). */
async function fakeModem() {
  const dir = await mkdtemp(join(tmpdir(), "statenet-modem-"));
  const script = join(dir, "modem.sh");
  await copyFile(FAKE_MODEM, script);
  const calls = async () =>
    (await readFile(join(dir, "calls.log"), "utf8").catch(() => ""))
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [at, ...args] = line.split(" ");
        return { at: Number(at), args };
      });
  return {
    dir,
    setMode: (mode: Mode) => writeFile(join(dir, "mode"), mode),
    connects: async () => (await calls()).filter((call) => call.args[0] === "connect"),
    disconnects: async () => (await calls()).filter((call) => call.args[0] === "disconnect"),
    config: (addressing: "dhcp" | "reported", commandTimeoutMs = 10_000): InterfaceConfig => ({
      type: "mobile",
      mobile: {
        serviceProviders: [{ apn: APN }],
        modem: {
          provider: "netdev",
          connect: [["/bin/sh", script, "connect", "{apn}", "{ifname}"]],
          disconnect: [["/bin/sh", script, "disconnect", "{ifname}"]],
          addressing,
          commandTimeoutMs,
          signal: { command: ["/bin/sh", script, "signal"], intervalMs: 200 },
        },
        retryDelayMs: 100,
        maxRetryDelayMs: 400,
      },
      connectivity: CONNECTIVITY,
    }),
  };
}

type FakeModem = Awaited<ReturnType<typeof fakeModem>>;

/**
 * A QMI-style modem on a real kernel: wwan0 is a veth end whose far end
 * serves DHCP (busybox udhcpd) and routes to an "Internet" host, and the
 * modem's connect command is a script the test steers.
 */
describeAsRoot("mobile: a modem that presents wwan0, on a real kernel", () => {
  let lab: Lab;
  let server: LabServer;
  let modem: FakeModem;
  let running: LabManager | undefined;
  let manager: NetworkManager;
  const interfaceStates: unknown[] = [];
  const logs = captureLogs("info");

  beforeAll(async () => {
    lab = await Lab.create({ uplinks: ["wwan0"], internetHosts: [INTERNET_HOST] });
    server = await lab.startDhcpServer("wwan0");
    modem = await fakeModem();
    await modem.setMode("fail");
    running = await startLabManager(
      lab,
      {
        interfaces: { wwan0: modem.config("dhcp", 1_500) },
        internetHosts: [{ host: INTERNET_HOST, port: 53 }],
      },
      { logger: logs.logger },
    );
    manager = running.manager;
    manager.properties.subscribe(["interface", "wwan0", "state"], (change) => {
      interfaceStates.push(change.new);
    });
  });

  afterAll(async () => {
    await running?.stop();
    await server?.stop();
    await lab?.teardown();
    if (modem) await rm(modem.dir, { recursive: true, force: true });
  });

  const mobile = (leaf: string) => manager.get(["interface", "wwan0", "mobile", leaf]);
  const wwan0 = (leaf: string) => manager.get(["interface", "wwan0", leaf]);
  const inet = () =>
    (wwan0("addresses") as Array<{ family: string; address: string }> | undefined)
      ?.filter((address) => address.family === "inet")
      .map((address) => address.address) ?? [];

  it("retries a failing connect with a growing delay, reporting why, and tears nothing else down", async () => {
    const connects = await waitUntil(
      "four failed connects",
      async () => {
        const calls = await modem.connects();
        return calls.length >= 4 && calls;
      },
      15_000,
    );
    expect(mobile("state")).toMatch(/^(connecting|retrying)$/);
    expect(mobile("last_error")).toMatch(/connect lab\.apn wwan0: .*QMI protocol error \(14\)/);
    expect(logs.lines).toContainEqual(
      expect.objectContaining({
        msg: "modem connect failed",
        ifname: "wwan0",
        provider: "netdev",
        failure: "failed",
        error: expect.stringContaining("QMI protocol error (14)"),
      }),
    );
    // The delays double from 100 ms to the 400 ms cap; a gap also holds the command's run.
    const gaps = connects.slice(1, 4).map((call, index) => call.at - (connects[index]?.at ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(100);
    expect(gaps[1]).toBeGreaterThanOrEqual(200);
    expect(gaps[2]).toBeGreaterThanOrEqual(400);
    // Only the modem's connection is retried: the interface stays configured with its link up.
    expect(wwan0("state")).toBe("configured");
    expect(interfaceStates).not.toContain("retrying");
    expect(wwan0("lower_up")).toBe(true);
    expect(wwan0("connection")).not.toBe("internet");
  });

  it("ends a connect command that hangs at its timeout, and says so", async () => {
    await modem.setMode("hang");
    await waitUntil(
      "a timed-out connect reported",
      () => /timed out after 1500 ms/.test(String(mobile("last_error"))),
      15_000,
    );
    expect(logs.lines).toContainEqual(
      expect.objectContaining({ msg: "modem connect failed", failure: "timeout" }),
    );
    expect(wwan0("state")).toBe("configured");
  });

  it("connects once the modem answers, leases an address and routes as mobile", async () => {
    await modem.setMode("dhcp");
    await waitUntil(
      "connected with a lease, at internet",
      () => mobile("state") === "connected" && wwan0("connection") === "internet" && inet().length,
      20_000,
    );
    expect(mobile("last_error")).toBeUndefined();
    const [address] = inet();
    expect(address).toMatch(/^192\.0\.2\.(1[0-4]\d|150)$/);
    expect(wwan0("type")).toBe("mobile");
    // mobile/internet: (2 + 1) * 10 + 0 (wwan0's digits).
    const routes = await lab
      .ip()
      .json<Array<{ dev: string; metric?: number }>>(["-4", "route", "show", "default"]);
    expect(routes).toContainEqual(expect.objectContaining({ dev: "wwan0", metric: 30 }));
    expect((await lab.routeGet(INTERNET_HOST, address)).dev).toBe("wwan0");
    await waitUntil("the signal strength", () => mobile("signal_asu") === 20, 5_000);
    expect(mobile("signal_dbm")).toBe(-73);
    expect(mobile("signal_4bars")).toBe(4);
    expect(interfaceStates).not.toContain("retrying");
  });

  it("hangs up the old connection on reconfigure and takes the address a raw-IP modem reports", async () => {
    await modem.setMode("reported");
    const before = (await modem.disconnects()).length;
    await manager.configure("wwan0", modem.config("reported"), { persist: false });
    await waitUntil(
      "the reported address, at internet",
      () => inet().includes("192.0.2.77") && wwan0("connection") === "internet",
      20_000,
    );
    expect((await modem.disconnects()).length).toBe(before + 1);
    expect(mobile("state")).toBe("connected");
    expect((await lab.routeGet(INTERNET_HOST, "192.0.2.77")).dev).toBe("wwan0");
    expect(manager.get(["name_servers"])).toContainEqual(
      expect.objectContaining({ address: "192.0.2.1" }),
    );
  });

  it("hangs up and clears interface/<if>/mobile when deconfigured", async () => {
    const before = (await modem.disconnects()).length;
    await manager.deconfigure("wwan0", { persist: false });
    await waitUntil(
      "mobile properties cleared",
      () => manager.properties.getByPrefix(["interface", "wwan0", "mobile"]).length === 0,
      10_000,
    );
    await waitUntil(
      "the modem told to hang up",
      async () => (await modem.disconnects()).length === before + 1,
      10_000,
    );
    await waitUntil("no address left", () => inet().length === 0, 5_000);
  });
});

describeAsRoot("mobile with a power manager: a power cycle brings the modem back connected", () => {
  let lab: Lab | undefined;
  let running: LabManager | undefined;
  let modem: FakeModem | undefined;

  afterAll(async () => {
    await running?.stop();
    await lab?.teardown();
    if (modem) await rm(modem.dir, { recursive: true, force: true });
  });

  it("connects again and gets a new lease after each power cycle", async () => {
    lab = await Lab.create({ uplinks: ["wwan0"], internetHosts: [INTERNET_HOST] });
    modem = await fakeModem();
    await modem.setMode("dhcp");
    running = await startLabManager(lab, {
      interfaces: { wwan0: modem.config("dhcp") },
      internetHosts: [{ host: INTERNET_HOST, port: 53 }],
      powerManagers: {
        wwan0: {
          // The modem's DHCP server boots with it: off deletes the veth, on re-creates it.
          commands: await lab.uplinkPowerCommands("wwan0", { dhcpServer: {} }),
          powerOnHoldMs: 500,
          timeToPowerOffMs: 0,
          minPowerOffMs: 300,
        },
      },
    });
    const { manager } = running;
    const fake = modem;
    const wwan0 = (leaf: string) => manager.get(["interface", "wwan0", leaf]);
    const online = () =>
      wwan0("connection") === "internet" &&
      manager.get(["interface", "wwan0", "mobile", "state"]) === "connected";
    await waitUntil("connected and at internet", online, 20_000);
    for (const cycle of [1, 2]) {
      const connects = (await fake.connects()).length;
      manager.forceReset("wwan0");
      await waitUntil(
        `power cycle ${cycle}`,
        () => manager.get(["interface", "wwan0", "power", "cycles"]) === cycle,
        5_000,
      );
      // The modem came back as a new device: statenet connected it again and it is online.
      await waitUntil(
        "connected again and at internet",
        async () => (await fake.connects()).length > connects && online(),
        20_000,
      );
      expect(wwan0("present")).toBe(true);
    }
  }, 90_000);
});
