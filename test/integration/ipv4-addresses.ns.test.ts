import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Lab } from "../../lab/namespace-lab.js";
import { createCommandRunner } from "../../src/linux/command-runner.js";
import { runInterfaceCommand } from "../../src/linux/interface-commands.js";
import { type LabManager, startLabManager } from "../support/lab-manager.js";
import { describeAsRoot } from "../support/root.js";
import { waitUntil } from "../support/wait.js";

const INTERNET_HOST = "203.0.113.53";

interface AddrInfo {
  family: string;
  local: string;
  prefixlen: number;
  broadcast?: string;
}

/** Every address statenet puts on an interface carries its subnet's broadcast address. */
describeAsRoot("IPv4 addresses and their broadcast address on a real kernel", () => {
  let lab: Lab;
  let dir: string;

  beforeAll(async () => {
    lab = await Lab.create({ uplinks: ["eth0", "wlan0"], internetHosts: [INTERNET_HOST] });
    dir = await mkdtemp(join(tmpdir(), "statenet-ipv4-addresses-"));
  });

  afterAll(async () => {
    await lab?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** `ip -j addr show dev IF`'s IPv4 addresses. */
  const addresses = async (ifname: string): Promise<AddrInfo[]> => {
    const [link] = await lab
      .ip()
      .json<Array<{ addr_info: AddrInfo[] }>>(["-4", "addr", "show", "dev", ifname]);
    return link?.addr_info ?? [];
  };
  const ip = (...args: string[]) => lab.ip().batch([args.join(" ")]);

  it("gives an address that lacks its broadcast address one, keeping the routes from it", async () => {
    // As an earlier statenet (or someone else) left it: no broadcast address, routes from it.
    await ip("addr add 192.0.2.10/24 dev eth0 noprefixroute");
    await ip("route add 192.0.2.0/24 dev eth0 src 192.0.2.10 table 150");
    await ip("route add default via 192.0.2.1 dev eth0 table 150");
    expect((await addresses("eth0"))[0]?.broadcast).toBeUndefined();
    const context = { ip: lab.ip(), runner: createCommandRunner({ netns: lab.deviceNs }) };
    const command = {
      kind: "ipv4_addresses" as const,
      ifname: "eth0",
      addresses: [{ address: "192.0.2.10", prefixLength: 24 }],
    };
    try {
      await runInterfaceCommand(context, command, new AbortController().signal, 5_000);
      expect(await addresses("eth0")).toEqual([
        expect.objectContaining({ local: "192.0.2.10", prefixlen: 24, broadcast: "192.0.2.255" }),
      ]);
      // The kernel drops the routes from an address once it is gone from the interface: it never was.
      const routes = (await lab.exec(lab.deviceNs, "ip", ["-4", "route", "show", "table", "150"]))
        .stdout;
      expect(routes).toContain("default via 192.0.2.1 dev eth0");
      expect(routes).toContain("192.0.2.0/24 dev eth0 scope link src 192.0.2.10");
      // Converging again changes nothing.
      await runInterfaceCommand(context, command, new AbortController().signal, 5_000);
      expect(await addresses("eth0")).toHaveLength(1);
    } finally {
      await lab.ip().batch(["route flush table 150", "addr flush dev eth0"]);
    }
  });

  it("static addresses through the manager: broadcast on a /24, none on a /31; a /31 without a gateway is LAN-only", async () => {
    // Nothing listens on the internet host: its reset counts as reachable.
    let running: LabManager | undefined;
    try {
      running = await startLabManager(
        lab,
        {
          interfaces: {
            eth0: lab.staticConfig("eth0"),
            // The router's end is .1/24; the device's /31 pairs it with nothing, a LAN of its own.
            wlan0: {
              type: "ethernet",
              ipv4: { method: "static", address: "198.51.100.10", netmask: "255.255.255.254" },
            },
          },
          internetHosts: [{ host: INTERNET_HOST, port: 53 }],
        },
        { connectivity: { intervalMs: 500, timeoutMs: 300 } },
        dir,
      );
      const { manager } = running;
      await waitUntil(
        "eth0 on the internet",
        () => manager.get(["interface", "eth0", "connection"]) === "internet",
        15_000,
      );
      await waitUntil(
        "wlan0 lan",
        () => manager.get(["interface", "wlan0", "connection"]) === "lan",
        10_000,
      );
      expect(await addresses("eth0")).toEqual([
        expect.objectContaining({ local: "192.0.2.10", prefixlen: 24, broadcast: "192.0.2.255" }),
      ]);
      const wlan0 = await addresses("wlan0");
      expect(wlan0).toEqual([expect.objectContaining({ local: "198.51.100.10", prefixlen: 31 })]);
      expect(wlan0[0]).not.toHaveProperty("broadcast");
      expect(manager.get(["interface", "wlan0", "config"])).toEqual({
        type: "ethernet",
        ipv4: { method: "static", address: "198.51.100.10", prefixLength: 31 },
      });
      // eth0's checker has run; wlan0 has none: nothing to check without a gateway.
      expect(manager.getByPrefix(["interface", "eth0", "connectivity"])).not.toEqual([]);
      expect(manager.getByPrefix(["interface", "wlan0", "connectivity"])).toEqual([]);
      // Carrier makes it lan, no carrier disconnected.
      await lab.unplug("wlan0");
      await waitUntil(
        "wlan0 disconnected",
        () => manager.get(["interface", "wlan0", "connection"]) === "disconnected",
        10_000,
      );
      await lab.plug("wlan0");
      await waitUntil(
        "wlan0 lan again",
        () => manager.get(["interface", "wlan0", "connection"]) === "lan",
        10_000,
      );
      expect(manager.getByPrefix(["interface", "wlan0", "connectivity"])).toEqual([]);
    } finally {
      await running?.stop();
    }
  });
});
