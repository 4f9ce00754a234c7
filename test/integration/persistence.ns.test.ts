import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Lab } from "../../lab/namespace-lab.js";
import type { InterfaceConfig } from "../../src/config/schema.js";
import { captureLogs } from "../support/capture-logs.js";
import { type LabManager, startLabManager } from "../support/lab-manager.js";
import { describeAsRoot } from "../support/root.js";
import { waitUntil } from "../support/wait.js";

describeAsRoot("runtime configurations survive a restart", () => {
  let lab: Lab;
  let dir: string;
  let running: LabManager | undefined;
  let defaults: Record<string, InterfaceConfig>;

  const withAddress = (address: string): InterfaceConfig => {
    const config = lab.staticConfig("eth0");
    return config.type === "ethernet" && config.ipv4.method === "static"
      ? { ...config, ipv4: { ...config.ipv4, address } }
      : config;
  };
  const addresses = async () => {
    const { stdout } = await lab.exec(lab.deviceNs, "ip", [
      "-4",
      "-o",
      "addr",
      "show",
      "dev",
      "eth0",
    ]);
    return [...stdout.matchAll(/inet (\S+)/g)].map((match) => match[1]);
  };
  /** A manager started on the same state directory, as after a reboot. */
  const restart = async (logger?: ReturnType<typeof captureLogs>["logger"]) => {
    await running?.stop();
    running = await startLabManager(lab, { interfaces: defaults }, logger ? { logger } : {}, dir);
    return running.manager;
  };
  const configsDir = () => join(dir, "state", "configs");

  beforeAll(async () => {
    lab = await Lab.create({ uplinks: ["eth0"] });
    dir = await mkdtemp(join(tmpdir(), "statenet-persistence-"));
    defaults = { eth0: withAddress("192.0.2.10") };
  });

  afterAll(async () => {
    await running?.stop();
    await lab?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("brings back a saved configuration over the file's default", async () => {
    const manager = await restart();
    await waitUntil(
      "the default address",
      async () => (await addresses()).join() === "192.0.2.10/24",
    );
    await manager.configure("eth0", withAddress("192.0.2.20"));
    await waitUntil("the new address", async () => (await addresses()).join() === "192.0.2.20/24");
    const again = await restart();
    expect(again.getConfiguration("eth0")).toEqual(withAddress("192.0.2.20"));
    await waitUntil(
      "the saved address after the restart",
      async () => (await addresses()).join() === "192.0.2.20/24",
    );
  });

  it("changes nothing for the same configuration again", async () => {
    const manager = running?.manager;
    if (!manager) throw new Error("no manager");
    await waitUntil(
      "eth0 configured",
      () => manager.get(["interface", "eth0", "state"]) === "configured",
    );
    const states: unknown[] = [];
    const unsubscribe = manager.subscribe(["interface", "eth0", "state"], (change) =>
      states.push(change.new),
    );
    const saved = join(configsDir(), "eth0.config");
    const before = (await stat(saved)).mtimeMs;
    await manager.configure("eth0", withAddress("192.0.2.20"));
    await new Promise((resolve) => setTimeout(resolve, 300));
    unsubscribe();
    expect(states).toEqual([]);
    // Not even saved again.
    expect((await stat(saved)).mtimeMs).toBe(before);
  });

  it("keeps a deconfigured interface deconfigured, and resets to the default on request", async () => {
    await running?.manager.deconfigure("eth0");
    await waitUntil("no address", async () => (await addresses()).length === 0);
    const manager = await restart();
    expect(manager.configuredInterfaces()).toEqual([]);
    await manager.resetToDefaults("eth0");
    await waitUntil(
      "the default again",
      async () => (await addresses()).join() === "192.0.2.10/24",
    );
    expect(await readdir(configsDir())).toEqual([]);
  });

  it("sets a saved configuration that does not open aside, says so, and uses the default", async () => {
    await running?.manager.configure("eth0", withAddress("192.0.2.30"));
    await running?.stop();
    running = undefined;
    await writeFile(join(configsDir(), "eth0.config"), "garbage");
    const { lines, logger } = captureLogs();
    const manager = await restart(logger);
    expect(manager.getConfiguration("eth0")).toEqual(defaults.eth0);
    await waitUntil(
      "the default address",
      async () => (await addresses()).join() === "192.0.2.10/24",
    );
    const problem = lines.find(
      (line) => line.msg === "saved configuration unusable; the default applies",
    );
    expect(problem).toMatchObject({
      ifname: "eth0",
      problem: expect.stringMatching(/not a statenet configuration file/),
    });
    expect((await readdir(configsDir())).some((name) => name.startsWith("eth0.config.bad-"))).toBe(
      true,
    );
  });
});
