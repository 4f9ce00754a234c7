import { afterAll, beforeAll, expect, it } from "vitest";
import { type Actor, waitFor } from "xstate";
import { Lab } from "../../lab/namespace-lab.js";
import type { InterfaceRouting, RouteManagerMachine } from "../../machines/route-manager.js";
import type { IpRunner } from "../../src/linux/ip.js";
import { startLinuxRouteManager } from "../../src/linux/route-manager.js";
import { readKernelRoutes } from "../../src/linux/routes.js";
import { silentLogger } from "../../src/log.js";
import { PropertyTable } from "../../src/properties/property-table.js";
import { computeRoutes } from "../../src/route/calculator.js";
import { interfaceTypeFromName, weightFromName } from "../../src/route/interface-type.js";
import { entryId } from "../../src/route/ip-commands.js";
import { describeAsRoot } from "../support/root.js";

const INTERNET_HOST = "203.0.113.53";

/** An ip runner that counts the batches it runs, to prove a restart changes nothing. */
function countingRunner(ip: IpRunner): IpRunner & { batches: string[][] } {
  const batches: string[][] = [];
  return {
    netns: ip.netns,
    batches,
    json: (args, signal) => ip.json(args, signal),
    batch: (lines, signal) => {
      batches.push([...lines]);
      return ip.batch(lines, signal);
    },
  };
}

async function settled(actor: Actor<RouteManagerMachine>) {
  // A microtask gap lets events sent just before reach the machine first.
  await new Promise((resolve) => setImmediate(resolve));
  return waitFor(actor, (snapshot) => snapshot.matches("idle") || snapshot.matches("backingOff"), {
    timeout: 5_000,
  });
}

async function kernelText(lab: Lab): Promise<string> {
  const rules = await lab.exec(lab.deviceNs, "ip", ["-4", "rule", "show"]);
  const routes = await lab.exec(lab.deviceNs, "ip", ["-4", "route", "show", "table", "all"]);
  return `${rules.stdout}\n${routes.stdout}`;
}

describeAsRoot("route manager on a real kernel (network namespaces)", () => {
  let lab: Lab;
  let properties: PropertyTable;
  let actor: Actor<RouteManagerMachine>;
  const state: Record<string, InterfaceRouting> = {};

  function send(ifname: string, routing: InterfaceRouting) {
    state[ifname] = routing;
    actor.send({
      type: "route.set_addresses",
      ifname,
      addresses: routing.addresses,
      gateway: routing.gateway,
    });
    actor.send({
      type: "route.set_connection",
      ifname,
      status: routing.status,
      reason: "integration test",
    });
  }

  function expectedEntries() {
    const infos = Object.fromEntries(
      Object.entries(state).map(([ifname, routing]) => [
        ifname,
        {
          type: interfaceTypeFromName(ifname),
          weight: weightFromName(ifname),
          status: routing.status,
          addresses: routing.addresses,
          gateway: routing.gateway,
        },
      ]),
    );
    return computeRoutes(infos, actor.getSnapshot().context.tables).entries;
  }

  beforeAll(async () => {
    lab = await Lab.create({ uplinks: ["eth0", "wlan0", "wwan0"], internetHosts: [INTERNET_HOST] });
    // A stale default route on a managed interface (another daemon's), and a rule an earlier run left.
    await lab.addDeviceAddresses();
    await lab
      .ip()
      .batch([
        "route add 192.0.2.0/24 dev eth0 metric 1000",
        "route add default via 192.0.2.1 dev eth0 metric 5 proto boot",
        "rule add from 192.0.2.99 lookup 104 pref 100 protocol 222",
      ]);
    properties = new PropertyTable();
    actor = startLinuxRouteManager({ ip: lab.ip(), properties, logger: silentLogger() });
    for (const uplink of lab.uplinks) {
      send(uplink.ifname, { ...lab.routing(uplink), status: "internet" });
    }
    await settled(actor);
  });

  afterAll(async () => {
    actor?.stop();
    await lab?.teardown();
  });

  it("removes the stale default route and rule, and orders eth0 first", async () => {
    const kernel = await kernelText(lab);
    expect(kernel).not.toContain("metric 5");
    expect(kernel).not.toContain("192.0.2.99");
    expect((await lab.routeGet(INTERNET_HOST)).dev).toBe("eth0");
    expect(properties.get(["available_interfaces"])).toEqual(["eth0", "wlan0", "wwan0"]);
    expect(properties.get(["connection"])).toBe("internet");
  });

  it("moves the default route to wlan0 when eth0 is only lan", async () => {
    send("eth0", { ...(state.eth0 as InterfaceRouting), status: "lan" });
    await settled(actor);
    expect((await lab.routeGet(INTERNET_HOST)).dev).toBe("wlan0");
    expect(properties.get(["available_interfaces"])).toEqual(["wlan0", "wwan0", "eth0"]);
    expect(properties.get(["interface", "eth0", "connection"])).toBe("lan");
  });

  it("moves it to wwan0 when wlan0's addresses are cleared", async () => {
    state.wlan0 = { addresses: [], status: "internet" };
    actor.send({ type: "route.clear_addresses", ifname: "wlan0" });
    await settled(actor);
    expect((await lab.routeGet(INTERNET_HOST)).dev).toBe("wwan0");
    expect(properties.get(["available_interfaces"])).toEqual(["wwan0", "eth0"]);
  });

  it("answers from each address through its own uplink (source rules)", async () => {
    const eth0 = lab.uplink("eth0");
    const route = await lab.routeGet(INTERNET_HOST, eth0.deviceAddress);
    expect(route).toMatchObject({ dev: "eth0", gateway: eth0.routerAddress });
  });

  it("leaves `ip rule` and every table exactly as the calculator says", async () => {
    const inKernel = (await readKernelRoutes(lab.ip())).owned.map(entryId).sort();
    expect(inKernel).toEqual(expectedEntries().map(entryId).sort());
    const rules = await lab.exec(lab.deviceNs, "ip", ["-4", "rule", "show"]);
    expect(rules.stdout.split("\n")).toEqual([
      "0:\tfrom all lookup local",
      "100:\tfrom 192.0.2.10 lookup 100 proto 222",
      "100:\tfrom 198.18.2.10 lookup 102 proto 222",
      "32766:\tfrom all lookup main",
      "32767:\tfrom all lookup default",
    ]);
    const main = await lab.exec(lab.deviceNs, "ip", ["-4", "route", "show", "table", "main"]);
    expect(main.stdout.split("\n")).toEqual([
      "default via 198.18.2.1 dev wwan0 proto 222 metric 30 ",
      "default via 192.0.2.1 dev eth0 proto 222 metric 50 ",
      "192.0.2.0/24 dev eth0 proto 222 scope link src 192.0.2.10 metric 50 ",
      "192.0.2.0/24 dev eth0 scope link metric 1000 ",
      "198.18.2.0/24 dev wwan0 proto 222 scope link src 198.18.2.10 metric 30 ",
    ]);
  });

  it("carries real traffic over the chosen uplink", async () => {
    const ping = await lab.exec(lab.deviceNs, "busybox", [
      "ping",
      "-c",
      "1",
      "-W",
      "2",
      INTERNET_HOST,
    ]);
    expect(ping.stdout).toContain("1 packets received");
  });

  it("restarts without changing anything, whether told the state up front or afterwards", async () => {
    const before = await kernelText(lab);
    const tables = actor.getSnapshot().context.tables;
    actor.stop();

    const told = countingRunner(lab.ip());
    actor = startLinuxRouteManager({
      ip: told,
      properties,
      logger: silentLogger(),
      interfaces: state,
    });
    await settled(actor);
    expect(told.batches).toEqual([]);
    expect(await kernelText(lab)).toBe(before);
    actor.stop();

    const fresh = countingRunner(lab.ip());
    actor = startLinuxRouteManager({ ip: fresh, properties, logger: silentLogger() });
    for (const [ifname, routing] of Object.entries(state)) send(ifname, routing);
    await settled(actor);
    expect(await kernelText(lab)).toBe(before);
    expect(actor.getSnapshot().context.tables).toEqual(tables);
  });

  it("reports a failing line, keeps the rest, and recovers when the cause goes away", async () => {
    const before = await kernelText(lab);
    send("ghost0", {
      addresses: [{ address: "198.18.9.10", prefixLength: 24 }],
      gateway: "198.18.9.1",
      status: "internet",
    });
    const failed = await settled(actor);
    expect(failed.value).toBe("backingOff");
    expect(failed.context.lastError?.failures?.[0]?.command).toContain("dev ghost0");
    expect(failed.context.lastError?.failures?.[0]?.message).toContain(
      'Cannot find device "ghost0"',
    );
    expect((await lab.routeGet(INTERNET_HOST)).dev).toBe("wwan0");

    delete state.ghost0;
    actor.send({ type: "route.clear_addresses", ifname: "ghost0" });
    actor.send({
      type: "route.set_connection",
      ifname: "ghost0",
      status: "disconnected",
      reason: "gone",
    });
    const recovered = await settled(actor);
    expect(recovered.value).toBe("idle");
    expect(recovered.context.lastError).toBeUndefined();
    expect(await kernelText(lab)).toBe(before);
  });
});
