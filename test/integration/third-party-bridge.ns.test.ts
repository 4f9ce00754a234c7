import { cp, mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { execa } from "execa";
import { beforeAll, expect, it } from "vitest";
import type { Lab } from "../../lab/namespace-lab.js";
import { pollUntil } from "../../lab/poll.js";
import { describeAsRoot } from "../support/root.js";
import {
  type DaemonConfigWriter,
  runStatenetDaemon,
  STATENET,
  useCliLab,
} from "../support/statenet-cli.js";
import { waitUntil } from "../support/wait.js";

/**
 * The README's third-party technology, `examples/statenet-bridge`, loaded
 * from a separate package folder as an application installs it: a folder
 * whose node_modules holds `statenet` (this tree, built) and a copy of the
 * example. Two peer namespaces hang off the bridge's member veths (eth1,
 * eth2) in one subnet with the bridge's own address.
 */

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const EXAMPLE = join(REPO, "examples", "statenet-bridge");
const BRIDGE_ADDRESS = "192.0.2.1";
const PEER_A = "192.0.2.21";
const PEER_B = "192.0.2.22";

type Statenet = typeof import("../../src/index.js");
type Technology = import("../../src/index.js").Technology;

describeAsRoot("a third-party technology from its own package: a bridge", () => {
  let lab: Lab;
  let dir: string;
  let daemonConfig: DaemonConfigWriter;
  useCliLab("bridge", { uplinks: ["eth1", "eth2"] }, (fixture) => {
    ({ lab, dir, daemonConfig } = fixture);
  });

  beforeAll(async () => {
    // The application's folder (the test's directory, where the config files go too).
    await mkdir(join(dir, "node_modules"));
    await symlink(REPO, join(dir, "node_modules", "statenet"));
    await cp(EXAMPLE, join(dir, "node_modules", "statenet-bridge"), { recursive: true });
    // Both peers in the bridge's subnet.
    for (const [index, address] of [PEER_A, PEER_B].entries()) {
      const uplink = lab.uplinks[index];
      if (!uplink) throw new Error("the lab has two uplinks");
      await lab
        .ip(uplink.routerNs)
        .batch(["addr flush dev down0", `addr add ${address}/24 dev down0`]);
    }
  });

  /**
   * Loaded through the folder's node_modules, as Node loads them for the
   * application: one statenet for the application and the plugin alike.
   */
  async function fromApplicationFolder(): Promise<{ statenet: Statenet; bridge: unknown }> {
    const modules = join(dir, "node_modules");
    const statenet = (await import(
      pathToFileURL(join(modules, "statenet", "dist", "src", "index.js")).href
    )) as Statenet;
    const bridge = (await import(pathToFileURL(join(modules, "statenet-bridge", "index.js")).href))
      .default;
    return { statenet, bridge };
  }

  const peer = (index: number) => lab.uplinks[index]?.routerNs ?? "";

  async function pings(ns: string, address: string): Promise<boolean> {
    const ping = await execa(
      "ip",
      ["netns", "exec", ns, "busybox", "ping", "-c", "1", "-W", "1", address],
      {
        reject: false,
      },
    );
    return ping.exitCode === 0;
  }

  async function bridgeMembers(): Promise<string[]> {
    const { stdout } = await execa(
      "ip",
      ["-n", lab.deviceNs, "-j", "link", "show", "master", "br0"],
      {
        reject: false,
      },
    );
    const links = stdout ? (JSON.parse(stdout) as Array<{ ifname: string }>) : [];
    return links.map(({ ifname }) => ifname).sort();
  }

  async function bridgeExists(): Promise<boolean> {
    const show = await execa("ip", ["-n", lab.deviceNs, "link", "show", "br0"], { reject: false });
    return show.exitCode === 0;
  }

  const BRIDGE_CONFIG = {
    type: "bridge",
    interfaces: ["eth1", "eth2"],
    ipv4: { method: "static", address: BRIDGE_ADDRESS, prefixLength: 24 },
  };

  it("registered through createNetworkManager, bridges two peers and answers on its address; deconfigured, it is gone", async () => {
    const { statenet, bridge } = await fromApplicationFolder();
    const manager = statenet.createNetworkManager({
      config: {
        internetHosts: [],
        resolvConf: join(dir, "api-resolv.conf"),
        tmpDir: join(dir, "api-run"),
        stateDir: join(dir, "api-state"),
      },
      technologies: [bridge as Technology],
      netns: lab.deviceNs,
    });
    await manager.start();
    try {
      // Refused with the field named, before anything is touched.
      expect(() =>
        manager.configure("br0", { ...BRIDGE_CONFIG, interfaces: ["eth1", "eth1"] }),
      ).toThrow("interfaces.br0.interfaces.1: eth1 is named twice");
      expect(await bridgeExists()).toBe(false);

      await manager.configure("br0", BRIDGE_CONFIG);
      await waitUntil(
        "br0 configured",
        () => manager.get(["interface", "br0", "state"]) === "configured",
        10_000,
      );
      expect(await bridgeMembers()).toEqual(["eth1", "eth2"]);
      await waitUntil(
        "peer A reaches peer B across the bridge",
        () => pings(peer(0), PEER_B),
        10_000,
      );
      await waitUntil(
        "peer B reaches the bridge's address",
        () => pings(peer(1), BRIDGE_ADDRESS),
        10_000,
      );
      expect(manager.get(["interface", "br0", "type"])).toBe("bridge");
      await waitUntil(
        "br0 LAN-only",
        () => manager.get(["interface", "br0", "connection"]) === "lan",
      );

      await manager.deconfigure("br0");
      await waitUntil("the bridge removed", async () => !(await bridgeExists()), 10_000);
      expect(await pings(peer(0), PEER_B)).toBe(false);
    } finally {
      await manager.stop();
    }
  }, 30_000);

  it("saved, comes back after a restart of a manager that registers it", async () => {
    const { statenet, bridge } = await fromApplicationFolder();
    const config = {
      internetHosts: [],
      resolvConf: join(dir, "saved-resolv.conf"),
      tmpDir: join(dir, "saved-run"),
      stateDir: join(dir, "saved-state"),
    };
    const technologies = [bridge as Technology];
    const first = statenet.createNetworkManager({ config, technologies, netns: lab.deviceNs });
    await first.start();
    try {
      await first.configure("br0", BRIDGE_CONFIG);
      await waitUntil(
        "br0 configured by the first run",
        () => first.get(["interface", "br0", "state"]) === "configured",
        10_000,
      );
    } finally {
      await first.stop();
    }
    const again = statenet.createNetworkManager({ config, technologies, netns: lab.deviceNs });
    expect(await bridgeExists()).toBe(true);
    await again.start();
    try {
      expect(again.getConfiguration("br0")).toEqual(BRIDGE_CONFIG);
      // The bridge the first run left is taken over, not refused as existing.
      await waitUntil(
        "br0 configured again",
        () => again.get(["interface", "br0", "state"]) === "configured",
        10_000,
      );
      await waitUntil("the bridge carries traffic", () => pings(peer(0), PEER_B), 10_000);
      await again.deconfigure("br0");
      await waitUntil("the bridge removed", async () => !(await bridgeExists()), 10_000);
    } finally {
      await again.stop();
    }
  }, 30_000);

  it("named by the daemon's configuration file, is loaded from the file's folder", async () => {
    const { configPath } = await daemonConfig("bridge", {
      technologies: ["statenet-bridge"],
      interfaces: { br0: BRIDGE_CONFIG },
    });
    const check = await execa(STATENET, ["check", "--config", configPath], { reject: false });
    expect(check.stdout).toContain(`${configPath} is valid`);

    const daemon = runStatenetDaemon(lab, configPath);
    let stderr = "";
    daemon.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // A daemon that exited will never bridge anything: fail at once, with what it said.
    const gone = () => (daemon.exitCode === null ? undefined : `daemon exited: ${stderr}`);
    try {
      await pollUntil("peer A reaches peer B across the bridge", () => pings(peer(0), PEER_B), {
        timeoutMs: 15_000,
        gone,
      });
      await pollUntil("peer B reaches the bridge's address", () => pings(peer(1), BRIDGE_ADDRESS), {
        timeoutMs: 10_000,
        gone,
      });
      expect(await bridgeMembers()).toEqual(["eth1", "eth2"]);

      // Through the control socket, validated with the daemon's technologies.
      const cli = (...args: string[]) =>
        execa(STATENET, [...args, "--config", configPath], { reject: false });
      const bad = await cli(
        "configure",
        "br0",
        JSON.stringify({ ...BRIDGE_CONFIG, interfaces: ["eth1", "eth1"] }),
      );
      expect({ exitCode: bad.exitCode, stderr: bad.stderr }).toEqual({
        exitCode: 2,
        stderr: expect.stringContaining("interfaces.br0.interfaces.1: eth1 is named twice"),
      });
      const moved = { ...BRIDGE_CONFIG, ipv4: { ...BRIDGE_CONFIG.ipv4, address: "192.0.2.2" } };
      const configured = await cli("configure", "br0", JSON.stringify(moved));
      expect({ exitCode: configured.exitCode, stdout: configured.stdout }).toEqual({
        exitCode: 0,
        stdout: "br0: configured",
      });
      await pollUntil(
        "peer A reaches the bridge's new address",
        () => pings(peer(0), "192.0.2.2"),
        {
          timeoutMs: 10_000,
          gone,
        },
      );
    } finally {
      daemon.kill("SIGTERM");
    }
    const result = await daemon;
    expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({
      exitCode: 0,
      stderr: "",
    });
    // A stopped daemon leaves the links as they are, for the next one to take over.
    expect(await bridgeExists()).toBe(true);
    await lab.ip().batch(["link del br0"]);
  }, 30_000);

  it("a module the daemon cannot load stops it before anything is touched, naming the entry", async () => {
    const { configPath } = await daemonConfig("missing", {
      technologies: ["statenet-bridge", "statenet-vlan"],
      interfaces: { br0: BRIDGE_CONFIG },
    });
    const result = await runStatenetDaemon(lab, configPath);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      `technologies.1: cannot find module "statenet-vlan" from ${dir}`,
    );
    expect(await bridgeExists()).toBe(false);
  }, 20_000);
});
