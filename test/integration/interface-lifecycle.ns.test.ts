import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Lab, processAlive } from "../../lab/namespace-lab.js";
import type { NetworkManager } from "../../src/network-manager.js";
import { captureLogs } from "../support/capture-logs.js";
import { type LabManager, startLabManager } from "../support/lab-manager.js";
import { describeAsRoot } from "../support/root.js";
import { waitUntil } from "../support/wait.js";

/**
 * VintageNet's interface lifecycle on a real kernel: a null interface is
 * listed and left exactly as someone else set it up, a configured interface
 * the kernel does not have is `disconnected` and waits, and one that
 * disappears runs its down steps before it waits for its return.
 */

const FOREIGN_GATEWAY_METRIC = "7";

interface LinkJson {
  ifname: string;
  flags: string[];
  mtu: number;
}

interface AddrJson {
  addr_info: Array<{ family: string; local: string; prefixlen: number }>;
}

describeAsRoot("interface lifecycle on a real kernel: null, absent, removed and back", () => {
  let lab: Lab;
  let running: LabManager;
  let manager: NetworkManager;
  let powerOn: string[];
  let powerOff: string[];
  const logs = captureLogs("info");
  /** Each interface left alone, as the kernel had it before statenet started. */
  const before = new Map<string, string>();

  const ip = (args: string[]) => lab.exec(lab.deviceNs, "ip", args);

  /** Everything of one link that statenet could change: flags, IPv4 addresses, routes in every table, its sysctls. */
  async function linkState(ifname: string): Promise<string> {
    const [link] = await lab.ip().json<LinkJson[]>(["link", "show", "dev", ifname]);
    const [addresses] = await lab.ip().json<AddrJson[]>(["-4", "addr", "show", "dev", ifname]);
    const routes = (await ip(["-4", "route", "show", "table", "all", "dev", ifname])).stdout;
    // /proc/sys of the device namespace: read through it, not the test's own.
    const settings = (
      await lab.exec(lab.deviceNs, "sh", [
        "-c",
        `cat /proc/sys/net/ipv4/conf/${ifname}/ignore_routes_with_linkdown /proc/sys/net/ipv4/conf/${ifname}/promote_secondaries`,
      ])
    ).stdout;
    return JSON.stringify({
      flags: link?.flags,
      mtu: link?.mtu,
      addresses: addresses?.addr_info.map((info) => `${info.local}/${info.prefixlen}`),
      routes,
      settings,
    });
  }

  const property = (ifname: string, leaf: string) => manager.get(["interface", ifname, leaf]);
  const ipv4Addresses = async (ifname: string) => {
    const links = await lab.ip().json<AddrJson[]>(["-4", "addr", "show", "dev", ifname]);
    return links.flatMap((link) => link.addr_info.map((info) => info.local));
  };
  const udhcpcRecord = () => join(running.runDir, "pids", "udhcpc-eth0.pid.json");
  const udhcpcPid = async () =>
    (JSON.parse(await readFile(udhcpcRecord(), "utf8")) as { pid: number }).pid;
  const leased = async () =>
    (await ipv4Addresses("eth0")).some((address) => address.startsWith("192.0.2.1"));
  /** Powers the "modem" on and waits until its DHCP server (started in the background) listens. */
  async function powerOnEth0(): Promise<void> {
    await execa(powerOn[0] as string, powerOn.slice(1));
    await waitUntil("eth0's DHCP server listening", async () => {
      const sockets = await lab.exec(lab.uplink("eth0").routerNs, "ss", ["-Hlun", "sport = :67"]);
      return sockets.stdout.trim() !== "";
    });
  }

  beforeAll(async () => {
    lab = await Lab.create({
      uplinks: [
        { ifname: "eth0", network: "192.0.2.0/24" },
        { ifname: "wlan0", network: "198.51.100.0/24" },
        { ifname: "usb0", network: "203.0.113.0/24" },
      ],
    });
    // eth0 is a "modem" whose power is its veth: on also runs its DHCP server.
    ({ powerOn, powerOff } = await lab.uplinkPowerCommands("eth0", { dhcpServer: {} }));
    await powerOnEth0();
    // Someone else's wlan0: an address and a default route statenet must not claim.
    const wlan0 = lab.uplink("wlan0");
    await ip(["addr", "add", `${wlan0.deviceAddress}/24`, "dev", "wlan0"]);
    await ip([
      "route",
      "add",
      "default",
      "via",
      wlan0.routerAddress,
      "dev",
      "wlan0",
      "metric",
      FOREIGN_GATEWAY_METRIC,
    ]);
    // And someone else's usb0, set down: null must not bring it up either.
    await ip(["link", "set", "usb0", "down"]);
    for (const ifname of ["wlan0", "usb0"]) before.set(ifname, await linkState(ifname));
    running = await startLabManager(
      lab,
      {
        interfaces: {
          eth0: { type: "ethernet", ipv4: { method: "dhcp" } },
          wlan0: { type: "null" },
          usb0: { type: "null" },
          // Configured, but the kernel has no such link.
          eth9: { type: "ethernet", ipv4: { method: "dhcp" } },
        },
      },
      { logger: logs.logger, retryDelayMs: 1_000, dhcpRestartDelayMs: 100 },
    );
    manager = running.manager;
  });

  afterAll(async () => {
    await running?.stop();
    await lab?.teardown();
  });

  it("lists null interfaces and leaves them exactly as they were: addresses, routes, link state, a foreign default route", async () => {
    await waitUntil(
      "eth0 leased and routed",
      async () => {
        const available = manager.get(["available_interfaces"]) as string[] | undefined;
        return available?.includes("eth0") && (await leased());
      },
      10_000,
    );
    expect(property("wlan0", "state")).toBe("configured");
    expect(property("wlan0", "type")).toBe("null");
    expect(property("usb0", "state")).toBe("configured");
    for (const ifname of ["wlan0", "usb0"])
      expect(await linkState(ifname)).toBe(before.get(ifname));
    // Not statenet's to route: no connection status, and its default route is someone else's.
    expect(property("wlan0", "connection")).toBeUndefined();
    expect(manager.get(["unmanaged_default_routes"])).toEqual([
      {
        ifname: "wlan0",
        gateway: lab.uplink("wlan0").routerAddress,
        metric: Number(FOREIGN_GATEWAY_METRIC),
        outranks: true,
      },
    ]);
    expect(manager.configuredInterfaces()).toEqual(["eth0", "eth9"]);
    expect(manager.get(["all_interfaces"])).toEqual(["eth0", "lo", "usb0", "wlan0"]);
    expect(manager.info().allInterfaces).toEqual(["eth0", "lo", "usb0", "wlan0"]);
  });

  it("publishes a configured interface the kernel does not have as disconnected, waiting for it", async () => {
    await waitUntil("eth9's connection", () => property("eth9", "connection") === "disconnected");
    expect(property("eth9", "state")).toBe("waiting_for_interface");
    expect(property("eth9", "present")).toBeUndefined();
    expect(manager.get(["connection"])).toBe("lan");
  });

  it("runs the down steps of a DHCP interface whose link is deleted, waits, and configures it again when it is back", async () => {
    await waitUntil("eth0 leased", leased, 10_000);
    const pid = await waitUntil("udhcpc's record", () => udhcpcPid().catch(() => undefined));
    expect(processAlive(pid)).toBe(true);
    const errorsBefore = logs.lines.filter((line) => (line.level as number) >= 50).length;

    await execa(powerOff[0] as string, powerOff.slice(1));
    await waitUntil(
      "eth0 waiting for its interface",
      () => property("eth0", "state") === "waiting_for_interface",
      10_000,
    );
    // The down path ran: udhcpc stopped and its record removed, the state went through reconfiguring.
    await waitUntil("udhcpc gone", () => !processAlive(pid));
    await waitUntil("udhcpc's record removed", () =>
      access(udhcpcRecord()).then(
        () => false,
        () => true,
      ),
    );
    const states = logs.lines
      .filter((line) => line.msg === "interface state" && line.ifname === "eth0")
      .map((line) => line.state);
    expect(states.slice(-2)).toEqual(["reconfiguring", "waiting_for_interface"]);
    expect(property("eth0", "connection")).toBe("disconnected");
    expect(manager.get(["available_interfaces"])).toEqual([]);
    expect(manager.get(["all_interfaces"])).toEqual(["lo", "usb0", "wlan0"]);
    // Down commands on a missing link fail; that is no error worth logging.
    expect(logs.lines.filter((line) => (line.level as number) >= 50)).toHaveLength(errorsBefore);

    await powerOnEth0();
    await waitUntil(
      "eth0 configured again",
      () => property("eth0", "state") === "configured",
      10_000,
    );
    await waitUntil("a new lease on eth0", leased, 10_000);
    await waitUntil("eth0 routed again", () =>
      (manager.get(["available_interfaces"]) as string[] | undefined)?.includes("eth0"),
    );
    const next = await waitUntil("udhcpc's new record", () => udhcpcPid().catch(() => undefined));
    expect(next).not.toBe(pid);
    expect(processAlive(next)).toBe(true);
    expect(manager.get(["all_interfaces"])).toEqual(["eth0", "lo", "usb0", "wlan0"]);
    // Through all of it, the interfaces left alone stayed as they were.
    for (const ifname of ["wlan0", "usb0"])
      expect(await linkState(ifname)).toBe(before.get(ifname));
  }, 30_000);

  it("takes IPv4 off with method disabled but keeps the link up, as VintageNet does; deconfigure takes the link down", async () => {
    await waitUntil("eth0 leased", leased, 10_000);
    await manager.configure(
      "eth0",
      { type: "ethernet", ipv4: { method: "disabled" } },
      {
        persist: false,
      },
    );
    await waitUntil("eth0's lease address removed", async () => !(await leased()));
    await waitUntil(
      "eth0 configured without IPv4",
      () => property("eth0", "state") === "configured",
    );
    const [link] = await lab.ip().json<LinkJson[]>(["link", "show", "dev", "eth0"]);
    expect(link?.flags).toContain("UP");
    expect((await ip(["-4", "route", "show", "table", "all", "dev", "eth0"])).stdout).not.toContain(
      "default",
    );
    await manager.deconfigure("eth0", { persist: false });
    await waitUntil("eth0's link down", async () => {
      const [after] = await lab.ip().json<LinkJson[]>(["link", "show", "dev", "eth0"]);
      return after?.flags.includes("UP") === false;
    });
    expect(await ipv4Addresses("eth0")).toEqual([]);
  }, 30_000);
});
