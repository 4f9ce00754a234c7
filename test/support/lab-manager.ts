import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConfigInput } from "../../src/config/schema.js";
import {
  createNetworkManager,
  type NetworkManager,
  type NetworkManagerOptions,
} from "../../src/network-manager.js";

export interface LabManager {
  manager: NetworkManager;
  /** The manager's tmpDir: its daemons' sockets, config files and pid records. */
  runDir: string;
  /** Stops the manager and removes its files. */
  stop(): Promise<void>;
}

/**
 * A started manager driving the lab's device namespace, its resolv.conf and
 * runtime files in a fresh temporary directory. Without `internetHosts`, it
 * checks nothing (`[]`), where a manager would check the public default hosts:
 * a test never probes the Internet.
 */
export async function startLabManager(
  /** The namespace Lab, or any lab with a namespace for the device. */
  lab: { deviceNs: string },
  config: Omit<ConfigInput, "resolvConf" | "tmpDir" | "stateDir">,
  options: Omit<NetworkManagerOptions, "config" | "netns"> = {},
  /** A directory of the test's that outlives this manager (a restart finds its state there). */
  keptDir?: string,
): Promise<LabManager> {
  const dir = keptDir ?? (await mkdtemp(join(tmpdir(), "statenet-lab-manager-")));
  const manager = createNetworkManager({
    ...options,
    netns: lab.deviceNs,
    config: {
      ...config,
      internetHosts: config.internetHosts ?? [],
      resolvConf: join(dir, "resolv.conf"),
      tmpDir: join(dir, "run"),
      stateDir: join(dir, "state"),
    },
  });
  const stop = async () => {
    await manager.stop();
    if (!keptDir) await rm(dir, { recursive: true, force: true });
  };
  try {
    await manager.start();
  } catch (error) {
    await stop();
    throw error;
  }
  return { manager, stop, runDir: join(dir, "run") };
}
