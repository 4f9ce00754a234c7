import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll } from "vitest";
import { Lab, type LabOptions } from "../../lab/namespace-lab.js";

export { namespacePids } from "../../lab/namespace-lab.js";

/** The executable a user runs (bin/statenet runs dist/), and how the tests drive it in a lab. */

export const STATENET = fileURLToPath(new URL("../../bin/statenet", import.meta.url));

/** The CLI from its sources, through tsx: no build needed. */
export const CLI_FROM_SOURCE: readonly [string, ...string[]] = [
  process.execPath,
  "--import",
  "tsx",
  fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url)),
];

/** `statenet ARGS` from the sources; its result whatever the exit code. */
export function statenetFromSource(
  args: readonly string[],
  options: { env?: Record<string, string>; timeout?: number } = {},
) {
  const [node, ...prefix] = CLI_FROM_SOURCE;
  return execa(node, [...prefix, ...args], { reject: false, ...options });
}

/** Builds dist/ from this tree, so that bin/statenet runs the code under test. */
export async function buildStatenet(): Promise<void> {
  await execa("npx", ["tsc", "-p", "tsconfig.build.json"], {
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
  });
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
 * state directories under `dir` (unless the config names its own), and no
 * Internet checks unless the config names its lab hosts: the daemon's default
 * hosts are public.
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
      JSON.stringify({
        resolvConf: join(dir, `resolv-${name}.conf`),
        ...dirs,
        ...config,
        internetHosts: config.internetHosts ?? [],
      }),
    );
    return paths;
  };
}

export type DaemonConfigWriter = ReturnType<typeof daemonConfigWriter>;

export interface CliLab {
  lab: Lab;
  /** A temporary directory of the test file's: config files, tmpDirs and stateDirs. */
  dir: string;
  daemonConfig: DaemonConfigWriter;
}

/** tsc alone takes most of a minute on a busy 2-core machine. */
const BUILD_TIMEOUT_MS = 120_000;

/**
 * The hooks of a test file that runs the built CLI in a lab: before all,
 * dist/ built, the lab and a temporary directory made (handed to `ready`);
 * after all, both removed, also when a test failed.
 */
export function useCliLab(purpose: string, options: LabOptions, ready: (lab: CliLab) => void) {
  let fixture: Partial<CliLab> = {};
  beforeAll(async () => {
    await buildStatenet();
    const lab = await Lab.create(options);
    fixture = { lab };
    const dir = await mkdtemp(join(tmpdir(), `statenet-${purpose}-`));
    fixture = { lab, dir, daemonConfig: daemonConfigWriter(dir) };
    ready(fixture as CliLab);
  }, BUILD_TIMEOUT_MS);
  afterAll(async () => {
    await fixture.lab?.teardown();
    if (fixture.dir) await rm(fixture.dir, { recursive: true, force: true });
  });
}
