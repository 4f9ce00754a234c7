import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Lab, namespacePids, processAlive } from "../lab/namespace-lab.js";
import type { ConnectivitySettings } from "../machines/connectivity-checker.js";
import { statFieldsAfterName } from "../src/linux/daemon-pids.js";
import { createLogger } from "../src/log.js";
import { createNetworkManager, type NetworkManager } from "../src/network-manager.js";
import { InvariantBroken, within } from "./checks.js";

/**
 * A manager embedded in an app and driving a namespace from outside
 * (`createNetworkManager({ netns })`): its probes run in a helper process
 * inside the namespace, which the soak kills. The CLI daemon runs inside its
 * namespace and probes in-process, so it has no such helper.
 */
export class ProbeHelperDevice {
  private constructor(
    readonly lab: Lab,
    readonly manager: NetworkManager,
    readonly dir: string,
    readonly intervalMs: number,
  ) {}

  static async start(
    internetHost: string,
    connectivity: Partial<ConnectivitySettings>,
  ): Promise<ProbeHelperDevice> {
    const lab = await Lab.create({ uplinks: ["eth0"], internetHosts: [internetHost] });
    const dir = await mkdtemp(join(tmpdir(), "statenet-soak-embedded-"));
    const manager = createNetworkManager({
      netns: lab.deviceNs,
      logger: createLogger({ level: "warn" }),
      connectivity,
      config: {
        interfaces: { eth0: lab.staticConfig("eth0") },
        internetHosts: [{ host: internetHost, port: 53 }],
        resolvConf: join(dir, "resolv.conf"),
        tmpDir: join(dir, "run"),
        stateDir: join(dir, "state"),
      },
    });
    const device = new ProbeHelperDevice(lab, manager, dir, connectivity.intervalMs ?? 8_000);
    try {
      await manager.start();
      await within("embedded manager at internet", 60_000, () => device.atInternet());
    } catch (error) {
      await device.stop();
      throw error;
    }
    return device;
  }

  atInternet(): boolean {
    return this.manager.get(["interface", "eth0", "connection"]) === "internet";
  }

  /**
   * SIGKILLs the probe helper (the one process in the namespace). The link
   * still works, so no status may change, and the next probe starts a new helper.
   */
  async killProbeHelper(): Promise<void> {
    const pid = await this.#probeHelperPid();
    if (pid === undefined) throw new InvariantBroken("probe helper", "none running");
    const changes: unknown[] = [];
    const unsubscribe = this.manager.subscribe(["interface", "eth0", "connection"], (change) =>
      changes.push(change.new),
    );
    try {
      process.kill(pid, "SIGKILL");
      await within("a new probe helper", 3 * this.intervalMs + 10_000, async () => {
        const next = await this.#probeHelperPid();
        return next !== undefined && next !== pid && processAlive(next);
      });
      // Two more checks through the new helper.
      await sleep(2 * this.intervalMs);
    } finally {
      unsubscribe();
    }
    if (changes.length > 0 || !this.atInternet()) {
      throw new InvariantBroken("probe helper", `eth0's connection went ${changes.join(", ")}`);
    }
  }

  /**
   * The helper among the namespace's processes (the kernel monitor's `ip`
   * runs there too): this process's child, running probe-helper.
   */
  async #probeHelperPid(): Promise<number | undefined> {
    for (const pid of namespacePids(this.lab.deviceNs)) {
      try {
        const [stat, cmdline] = await Promise.all([
          readFile(`/proc/${pid}/stat`, "utf8"),
          readFile(`/proc/${pid}/cmdline`, "utf8"),
        ]);
        const parent = Number(statFieldsAfterName(stat)?.[1]);
        if (parent === process.pid && cmdline.includes("probe-helper")) return pid;
      } catch {
        // Gone meanwhile.
      }
    }
    return undefined;
  }

  async stop(): Promise<void> {
    try {
      await this.manager.stop();
    } finally {
      await this.lab.teardown();
      await rm(this.dir, { recursive: true, force: true });
    }
  }
}
