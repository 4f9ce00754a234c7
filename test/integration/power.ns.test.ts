import { afterAll, beforeAll, expect, it } from "vitest";
import { Lab } from "../../lab/namespace-lab.js";
import type { InterfaceConfig } from "../../src/config/schema.js";
import { type NetworkManager, NoPowerManagerError } from "../../src/network-manager.js";
import { type LabManager, startLabManager } from "../support/lab-manager.js";
import { describeAsRoot } from "../support/root.js";
import { waitUntil } from "../support/wait.js";

const INTERNET_HOST = "203.0.113.53";
const TIMINGS = {
  intervalMs: 500,
  timeoutMs: 300,
  lanIntervalMs: 300,
  // A mobile link backs off to 5 minutes at lan by default: the modem must be seen back quickly.
  lanBackoffMaxMs: 1_000,
  recoveryIntervalMs: 200,
  holdDownBaseMs: 0,
};
const WATCHDOG_MS = 1_200;
const MAX_CYCLES = 2;

/**
 * A "modem" on wwan0 whose power is the existence of its veth pair: the
 * command-based power manager of the configuration file deletes and
 * re-creates it. wlan0 keeps the device online meanwhile.
 */
describeAsRoot("power-manager watchdog on a real kernel: a modem power-cycled by commands", () => {
  let lab: Lab;
  let running: LabManager | undefined;
  let manager: NetworkManager;

  beforeAll(async () => {
    lab = await Lab.create({ uplinks: ["wlan0", "wwan0"], internetHosts: [INTERNET_HOST] });
    const commands = await lab.uplinkPowerCommands("wwan0");
    const withTimings = (ifname: string) =>
      ({ ...lab.staticConfig(ifname), connectivity: TIMINGS }) as InterfaceConfig;
    running = await startLabManager(lab, {
      interfaces: { wlan0: withTimings("wlan0"), wwan0: withTimings("wwan0") },
      internetHosts: [{ host: INTERNET_HOST, port: 53 }],
      powerManagers: {
        wwan0: {
          commands,
          commandTimeoutMs: 5_000,
          watchdogTimeoutMs: WATCHDOG_MS,
          powerOnHoldMs: 500,
          timeToPowerOffMs: 0,
          minPowerOffMs: 300,
          bootLoopGuard: { maxCycles: MAX_CYCLES, windowMs: 600_000, backoffMs: 600_000 },
        },
      },
    });
    manager = running.manager;
  });

  afterAll(async () => {
    await running?.stop();
    await lab?.teardown();
  });

  const power = (leaf: string) => manager.get(["interface", "wwan0", "power", leaf]);
  const wwan0 = (leaf: string) => manager.get(["interface", "wwan0", leaf]);
  const upstream = (action: "replace" | "del") =>
    lab.ip(lab.uplink("wwan0").routerNs).batch([`route ${action} blackhole ${INTERNET_HOST}/32`]);
  async function ifindex(): Promise<number | undefined> {
    const links = await lab.ip().json<Array<{ ifname: string; ifindex: number }>>(["link", "show"]);
    return links.find((link) => link.ifname === "wwan0")?.ifindex;
  }

  /** The modem came back as a new device (another ifindex), and `ready` holds. */
  const backAsNewDevice = (before: number | undefined, ready: () => boolean) => async () => {
    const now = await ifindex();
    return now !== undefined && now !== before && ready();
  };

  it("powers the modem on with its configuration and keeps it on while it reaches the Internet", async () => {
    await waitUntil(
      "wwan0 at internet with its watchdog running",
      () => wwan0("connection") === "internet" && power("state") === "on",
      15_000,
    );
    // Pets keep coming: the watchdog never fires while the Internet answers.
    await new Promise((resolve) => setTimeout(resolve, WATCHDOG_MS * 1.5));
    expect(power("state")).toBe("on");
    expect(power("cycles")).toBe(0);
    expect(manager.info().interfaces.wwan0?.power?.timeLeftMs).toBeGreaterThan(0);
  });

  it("restarts, then power-cycles the modem when its upstream is gone; it comes back and is configured again", async () => {
    const before = await ifindex();
    await upstream("replace");
    try {
      await waitUntil("a power cycle", () => power("cycles") === 1, 4 * WATCHDOG_MS + 5_000);
      await waitUntil(
        "the modem back and configured",
        backAsNewDevice(before, () => wwan0("state") === "configured"),
        10_000,
      );
    } finally {
      await upstream("del");
    }
    await waitUntil("wwan0 at internet again", () => wwan0("connection") === "internet", 10_000);
    // Its routes are back: traffic from its address leaves by it again.
    const { deviceAddress } = lab.uplink("wwan0");
    expect((await lab.routeGet(INTERNET_HOST, deviceAddress)).dev).toBe("wwan0");
    await waitUntil("its watchdog running again", () => power("state") === "on", 5_000);
    expect(power("cycles")).toBe(1);
  });

  it("cycles a modem whose upstream never returns at most the limit, then backs off", async () => {
    await upstream("replace");
    try {
      await waitUntil("the boot-loop guard", () => power("state") === "backing_off", 30_000);
      expect(power("cycles")).toBe(MAX_CYCLES);
      // Misses go on; cycles do not.
      await new Promise((resolve) => setTimeout(resolve, 2 * WATCHDOG_MS));
      expect(power("cycles")).toBe(MAX_CYCLES);
      expect(power("state")).toBe("backing_off");
    } finally {
      await upstream("del");
    }
  });

  it("power-cycles on request whatever the guard says, and refuses interfaces without a power manager", async () => {
    await waitUntil("wwan0 at internet", () => wwan0("connection") === "internet", 15_000);
    const before = await ifindex();
    manager.forceReset("wwan0");
    await waitUntil("a forced cycle", () => power("cycles") === MAX_CYCLES + 1, 5_000);
    await waitUntil(
      "the modem back",
      backAsNewDevice(before, () => wwan0("connection") === "internet"),
      15_000,
    );
    expect(() => manager.forceReset("wlan0")).toThrow(NoPowerManagerError);
  });
});

describeAsRoot("a DHCP modem whose own DHCP server boots with it", () => {
  let lab: Lab | undefined;
  let running: LabManager | undefined;

  afterAll(async () => {
    await running?.stop();
    await lab?.teardown();
  });

  it("gets a new lease from the modem after each power cycle and is back at internet", async () => {
    lab = await Lab.create({ uplinks: ["wwan0"], internetHosts: [INTERNET_HOST] });
    running = await startLabManager(lab, {
      interfaces: {
        wwan0: { type: "ethernet", ipv4: { method: "dhcp" }, connectivity: TIMINGS },
      },
      internetHosts: [{ host: INTERNET_HOST, port: 53 }],
      powerManagers: {
        wwan0: {
          commands: await lab.uplinkPowerCommands("wwan0", { dhcpServer: {} }),
          powerOnHoldMs: 500,
          timeToPowerOffMs: 0,
          minPowerOffMs: 300,
        },
      },
    });
    const { manager } = running;
    const wwan0 = (leaf: string) => manager.get(["interface", "wwan0", leaf]);
    const leased = () =>
      (wwan0("addresses") as Array<{ family: string; address: string }> | undefined)?.find(
        (address) => address.family === "inet",
      )?.address;
    await waitUntil(
      "a lease and the Internet",
      () => wwan0("connection") === "internet" && leased(),
      15_000,
    );
    for (const cycle of [1, 2]) {
      manager.forceReset("wwan0");
      await waitUntil(
        `power cycle ${cycle}`,
        () => manager.get(["interface", "wwan0", "power", "cycles"]) === cycle,
        5_000,
      );
      await waitUntil(
        "the modem gone",
        () => wwan0("present") === false || leased() === undefined,
        5_000,
      );
      await waitUntil(
        "a new lease and the Internet again",
        () => wwan0("connection") === "internet" && leased(),
        15_000,
      );
      const address = leased() as string;
      expect((await lab.routeGet(INTERNET_HOST, address)).dev).toBe("wwan0");
    }
  }, 60_000);
});

describeAsRoot("power managers implemented in the app", () => {
  let lab: Lab;
  let running: LabManager | undefined;
  let manager: NetworkManager;
  const messages: unknown[] = [];

  beforeAll(async () => {
    lab = await Lab.create({ uplinks: ["eth0", "wwan0", "wwan1"] });
    const interfaces = {
      eth0: lab.staticConfig("eth0"),
      wwan0: lab.staticConfig("wwan0"),
      wwan1: lab.staticConfig("wwan1"),
    };
    running = await startLabManager(
      lab,
      { interfaces },
      {
        powerManagers: {
          eth0: {
            implementation: {
              powerOn: () => 60_000,
              startPoweringOff: () => 0,
              powerOff: () => 0,
              handleMessage: (message) => messages.push(message),
            },
          },
          wwan0: {
            implementation: {
              powerOn: () => {
                throw new Error("gpio 17 busy");
              },
              startPoweringOff: () => 0,
              powerOff: () => 0,
            },
          },
          wwan1: {
            callTimeoutMs: 300,
            implementation: {
              powerOn: () => new Promise<number>(() => {}),
              startPoweringOff: () => 0,
              powerOff: () => 0,
            },
          },
        },
      },
    );
    manager = running.manager;
  });

  afterAll(async () => {
    await running?.stop();
    await lab?.teardown();
  });

  const power = (ifname: string, leaf: string) => manager.get(["interface", ifname, "power", leaf]);

  it("disables a power manager whose implementation throws or hangs, and nothing else", async () => {
    await waitUntil("both broken power managers disabled", () => {
      return power("wwan0", "state") === "disabled" && power("wwan1", "state") === "disabled";
    });
    expect(power("wwan0", "last_error")).toBe("gpio 17 busy");
    expect(power("wwan1", "last_error")).toBe("no answer within 300 ms");
    // The interfaces themselves are configured as usual, and the working one is on.
    await waitUntil("interfaces configured", () =>
      ["eth0", "wwan0", "wwan1"].every(
        (ifname) => manager.get(["interface", ifname, "state"]) === "configured",
      ),
    );
    expect(power("eth0", "state")).toBe("on_hold");
  });

  it("passes the app's messages to its implementation", () => {
    manager.sendPowerMessage("eth0", { signal: -71 });
    expect(messages).toEqual([{ signal: -71 }]);
    expect(() => manager.sendPowerMessage("wlan9", {})).toThrow(NoPowerManagerError);
  });
});
