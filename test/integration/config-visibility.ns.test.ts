import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Lab } from "../../lab/namespace-lab.js";
import type { ConfigSourceInfo } from "../../src/config/config-source.js";
import type { InterfaceConfig } from "../../src/config/schema.js";
import { createKernelMonitor } from "../../src/linux/kernel-monitor.js";
import { silentLogger } from "../../src/log.js";
import { PropertyTable } from "../../src/properties/property-table.js";
import { captureLogs } from "../support/capture-logs.js";
import { startLabManager } from "../support/lab-manager.js";
import { describeAsRoot } from "../support/root.js";
import {
  type DaemonConfigWriter,
  type DaemonPaths,
  runStatenetDaemon,
  STATENET,
  useCliLab,
} from "../support/statenet-cli.js";
import { waitUntil } from "../support/wait.js";

/** What a running daemon says of itself, through the CLI. */
function cliOf(configPath: string) {
  return (...args: string[]) =>
    execa(STATENET, [...args, "--config", configPath], { reject: false });
}

describeAsRoot("validation and visibility of configurations (the CLI daemon)", () => {
  let lab: Lab;
  let daemonConfig: DaemonConfigWriter;
  // wlan0 is the second uplink: 198.51.100.0/24, the device at .10, the router at .1.
  useCliLab("visibility", { uplinks: ["eth0", "wlan0"] }, (fixture) => {
    ({ lab, daemonConfig } = fixture);
  });

  /** wlan0's static configuration from the lab, with changes to its ipv4. */
  const wlan0 = (ipv4: Record<string, unknown> = {}): InterfaceConfig => {
    const config = lab.staticConfig("wlan0");
    if (config.type !== "ethernet") throw new Error("the lab's config is ethernet");
    return { ...config, ipv4: { ...config.ipv4, ...ipv4 } as typeof config.ipv4 };
  };
  const wlan0Addresses = async () =>
    (await lab.exec(lab.deviceNs, "ip", ["-4", "-o", "addr", "show", "dev", "wlan0"])).stdout;
  const savedFiles = async (stateDir: string) =>
    readdir(join(stateDir, "configs")).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return [];
      throw error;
    });

  /** Runs the daemon on `paths` while `body` runs; it must stop cleanly. */
  async function withDaemon(paths: DaemonPaths, body: (logs: () => string) => Promise<void>) {
    const daemon = runStatenetDaemon(lab, paths.configPath);
    let output = "";
    daemon.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    try {
      await waitUntil(
        "the daemon's control socket",
        async () => (await cliOf(paths.configPath)("info")).exitCode === 0,
        10_000,
      );
      await body(() => output);
    } finally {
      daemon.kill("SIGTERM");
      expect((await daemon).exitCode).toBe(0);
    }
  }

  it("refuses an off-subnet static gateway, in the file and through configure, naming the field", async () => {
    const offSubnet = wlan0({ address: "198.51.100.30", gateway: "192.0.2.1" });
    const bad = await daemonConfig("off-subnet", { interfaces: { wlan0: offSubnet } });
    const refused = await runStatenetDaemon(lab, bad.configPath);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(
      "interfaces.wlan0.ipv4.gateway: must be on the interface's subnet 198.51.100.0/24",
    );
    expect(await wlan0Addresses()).toBe("");

    const good = await daemonConfig("gateway", { interfaces: { wlan0: wlan0() } });
    const cli = cliOf(good.configPath);
    await withDaemon(good, async () => {
      await waitUntil("the file's address", async () =>
        (await wlan0Addresses()).includes("198.51.100.10/24"),
      );
      const configured = await cli("configure", "wlan0", JSON.stringify(offSubnet));
      expect({ exitCode: configured.exitCode, stderr: configured.stderr }).toEqual({
        exitCode: 2,
        stderr:
          "statenet: interfaces.wlan0.ipv4.gateway: must be on the interface's subnet 198.51.100.0/24",
      });
      const own = await cli(
        "configure",
        "wlan0",
        JSON.stringify(wlan0({ gateway: "198.51.100.10" })),
      );
      expect(own.exitCode).toBe(2);
      expect(own.stderr).toContain(
        "interfaces.wlan0.ipv4.gateway: must not be the interface's own address",
      );
      // The running configuration stays, and nothing was saved.
      expect(JSON.parse((await cli("get", "interface/wlan0/config", "--json")).stdout)).toEqual(
        wlan0(),
      );
      expect((await cli("info")).stdout).toMatch(
        /^wlan0\n {2}type +ethernet\n {2}state +configured$/m,
      );
      expect(await wlan0Addresses()).toContain("198.51.100.10/24");
      expect(await savedFiles(good.stateDir)).toEqual([]);
    });
  }, 40_000);

  it("deconfigure of an interface nothing configures exits 1 and writes nothing", async () => {
    const paths = await daemonConfig("unknown", { interfaces: { wlan0: wlan0() } });
    const cli = cliOf(paths.configPath);
    await withDaemon(paths, async () => {
      const result = await cli("deconfigure", "eth7");
      expect({ exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr }).toEqual({
        exitCode: 1,
        stdout: "",
        stderr: "statenet: interface eth7 is not configured",
      });
      expect(await savedFiles(paths.stateDir)).toEqual([]);
      // One the file names can be deconfigured, and that is saved.
      expect((await cli("deconfigure", "wlan0")).stdout).toBe("wlan0: deconfigured");
      expect(await savedFiles(paths.stateDir)).toEqual(["wlan0.config"]);
    });
  }, 40_000);

  it("info says where each interface's configuration came from; a saved one wins over the file, and says so", async () => {
    const paths = await daemonConfig("source", { interfaces: { wlan0: wlan0() } });
    const cli = cliOf(paths.configPath);
    // `info --json` spells its keys in snake_case, as the properties do.
    const sourceOf = async (): Promise<ConfigSourceInfo> => {
      const { from, saved_at, overrides_file } = JSON.parse((await cli("info", "--json")).stdout)
        .interfaces.wlan0.config_source;
      return {
        from,
        ...(saved_at !== undefined && { savedAt: saved_at }),
        overridesFile: overrides_file,
      };
    };
    const changed = wlan0({ address: "198.51.100.77" });
    let savedAt = "";

    await withDaemon(paths, async (logs) => {
      expect(await sourceOf()).toEqual({ from: "file", overridesFile: false });
      expect((await cli("info")).stdout).toMatch(/^ {2}config from +the configuration file$/m);
      expect(
        JSON.parse((await cli("get", "interface/wlan0/config_source", "--json")).stdout),
      ).toEqual({
        from: "file",
      });

      const before = Date.now();
      const configured = await cli("configure", "wlan0", JSON.stringify(changed));
      expect({ exitCode: configured.exitCode, stderr: configured.stderr }).toEqual({
        exitCode: 0,
        stderr: "",
      });
      const source = await sourceOf();
      expect(source).toEqual({ from: "saved", savedAt: expect.any(String), overridesFile: true });
      if (source.from !== "saved") throw new Error("unreachable");
      savedAt = source.savedAt;
      expect(Date.parse(savedAt)).toBeGreaterThanOrEqual(before - 1_000);
      expect(Date.parse(savedAt)).toBeLessThanOrEqual(Date.now());
      expect((await cli("info")).stdout).toContain(
        `  saved at run time ${savedAt} (overrides the file)`,
      );
      expect(
        JSON.parse((await cli("get", "interface/wlan0/config_source", "--json")).stdout),
      ).toEqual({
        from: "saved",
        savedAt,
      });
      expect(logs()).not.toContain("saved configuration takes precedence");
    });

    // Started again with the same file, the saved configuration wins, and the log says so.
    await withDaemon(paths, async (logs) => {
      await waitUntil("the saved address", async () =>
        (await wlan0Addresses()).includes("198.51.100.77/24"),
      );
      const precedence = logs()
        .split("\n")
        .filter((line) => line.includes("saved configuration takes precedence over the file's"))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(precedence).toEqual([
        expect.objectContaining({ level: 30, ifname: "wlan0", savedAt }),
      ]);
      expect(await sourceOf()).toEqual({ from: "saved", savedAt, overridesFile: true });

      expect((await cli("deconfigure", "wlan0")).exitCode).toBe(0);
      expect((await cli("info")).stdout).toMatch(
        /\n {2}config from +deconfigured at run time, saved \S+ \(overrides the file\)/,
      );
      expect((await cli("reset", "wlan0")).exitCode).toBe(0);
      expect(await sourceOf()).toEqual({ from: "file", overridesFile: false });
      await waitUntil("the file's address again", async () =>
        (await wlan0Addresses()).includes("198.51.100.10/24"),
      );
    });
  }, 60_000);
});

describeAsRoot("DHCP addresses carry the lease's lifetime", () => {
  const LEASE_SECONDS = 30;
  let lab: Lab;

  beforeAll(async () => {
    lab = await Lab.create({ uplinks: ["eth0"] });
    await lab.startDhcpServer("eth0", { leaseSeconds: LEASE_SECONDS });
  });

  afterAll(async () => {
    await lab?.teardown();
  });

  /** eth0's global IPv4 address with the kernel's lifetimes, if it has one. */
  const leased = async () => {
    const { stdout } = await lab.exec(lab.deviceNs, "ip", [
      "-j",
      "-4",
      "addr",
      "show",
      "dev",
      "eth0",
    ]);
    const [link] = JSON.parse(stdout) as Array<{
      addr_info: Array<{
        local: string;
        scope: string;
        valid_life_time: number;
        preferred_life_time: number;
      }>;
    }>;
    const info = link?.addr_info.find((entry) => entry.scope === "global");
    return (
      info && {
        address: info.local,
        valid: info.valid_life_time,
        preferred: info.preferred_life_time,
      }
    );
  };

  it("renews them with each lease, and the kernel ends them when nothing renews the lease", async () => {
    const logs = captureLogs("info");
    const running = await startLabManager(
      lab,
      { interfaces: { eth0: { type: "ethernet", ipv4: { method: "dhcp" } } } },
      { logger: logs.logger },
    );
    let address = "";
    try {
      const bound = await waitUntil("a lease", leased, 10_000);
      address = bound.address;
      expect(bound.valid).toBeGreaterThan(0);
      expect(bound.valid).toBeLessThanOrEqual(LEASE_SECONDS);
      expect(bound.preferred).toBeGreaterThan(0);
      expect(bound.preferred).toBeLessThanOrEqual(bound.valid);

      /** The lifetime at the next renewal, and the lowest it counted down to before it. */
      const nextRenewal = async (from: number) => {
        let lowest = from;
        const renewed = await waitUntil(
          "the lifetime renewed",
          async () => {
            const now = await leased();
            if (now === undefined) return undefined;
            lowest = Math.min(lowest, now.valid);
            return now.valid > lowest + 5 && now;
          },
          LEASE_SECONDS * 1_000,
          200,
        );
        return { renewed, lowest };
      };
      // udhcpc renews at half the lease; the countdown starts over then. It
      // starts when statenet sets the address, a moment after udhcpc took the
      // lease: the first lease's moment is longer (the checker starts beside
      // it), so the lowest of the first half lease is above half by the
      // difference. Two renewals take the same way: between them it is half.
      const first = await nextRenewal(bound.valid);
      expect(first.renewed.address).toBe(address);
      const { renewed, lowest } = await nextRenewal(first.renewed.valid);
      expect(renewed.address).toBe(address);
      expect(lowest).toBeLessThanOrEqual(LEASE_SECONDS / 2 + 1);
      expect(renewed.valid).toBeLessThanOrEqual(LEASE_SECONDS);
      const events = logs.lines.filter((line) => line.msg === "DHCP event");
      expect(events.map((line) => (line.event as { kind: string }).kind)).toContain("renew");
    } finally {
      // Stopped like SIGTERM: udhcpc ends without giving the lease back, the address stays.
      await running.stop();
    }
    expect((await leased())?.address).toBe(address);

    // Nothing renews it now: at the lease's end the kernel removes it, which is
    // a plain address removal to the kernel monitor.
    const properties = new PropertyTable();
    const monitor = createKernelMonitor({ ip: lab.ip(), logger: silentLogger(), properties });
    const onEth0 = () =>
      (properties.get(["interface", "eth0", "addresses"]) as Array<{ address: string }>).map(
        (entry) => entry.address,
      );
    try {
      await monitor.start();
      expect(onEth0()).toContain(address);
      await waitUntil(
        "the address expired",
        () => !onEth0().includes(address),
        (LEASE_SECONDS + 5) * 1_000,
        100,
      );
    } finally {
      await monitor.stop();
    }
    expect(await leased()).toBeUndefined();
  }, 150_000);
});
