import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import type { Lab } from "../../src/linux/lab.js";

/** The executable a user runs (bin/statenet runs dist/), and how the tests drive it in a lab. */

export const STATENET = fileURLToPath(new URL("../../bin/statenet", import.meta.url));

/** Builds dist/ from this tree, so that bin/statenet runs the code under test. */
export async function buildStatenet(): Promise<void> {
  await execa("npx", ["tsc", "-p", "tsconfig.build.json"], {
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
  });
}

/** Every process in a namespace (`ip netns pids`). */
export function namespacePids(ns: string): number[] {
  const { stdout } = spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" });
  return stdout.split(/\s+/).filter(Boolean).map(Number);
}

/**
 * The daemon as a user runs it: `statenet run --config FILE`, inside the
 * device namespace. `ip netns exec` and bin/statenet both exec, so the
 * child's pid is the daemon's node process.
 */
export function runStatenetDaemon(lab: Lab, configPath: string) {
  return execa("ip", ["netns", "exec", lab.deviceNs, STATENET, "run", "--config", configPath], {
    reject: false,
    env: { STATENET_LOG_LEVEL: "debug" },
  });
}

export interface DaemonPaths {
  configPath: string;
  tmpDir: string;
  stateDir: string;
}

/**
 * Writes config files for runs of the daemon, each with its own runtime and
 * state directories under `dir` (unless the config names its own).
 */
export function daemonConfigWriter(dir: string) {
  return async (name: string, config: Record<string, unknown>): Promise<DaemonPaths> => {
    const paths = {
      configPath: join(dir, `${name}.json`),
      tmpDir: join(dir, `run-${name}`),
      stateDir: join(dir, `state-${name}`),
    };
    const { configPath, ...dirs } = paths;
    await writeFile(
      configPath,
      JSON.stringify({ resolvConf: join(dir, `resolv-${name}.conf`), ...dirs, ...config }),
    );
    return paths;
  };
}
