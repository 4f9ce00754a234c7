import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The CLI's client commands and `--version` must start in well under 0.15 s
 * (issue 17): they load none of the daemon's code nor its heavy packages.
 * Runs the CLI's source with a module loader that records every module it
 * loads, and names what must not be among them.
 */

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const RECORDER = fileURLToPath(new URL("./load-recorder.mjs", import.meta.url));

/** What only the daemon, `check` or the library needs. */
const DAEMON_ONLY = [
  /\/node_modules\/(execa|xstate|zod|pino|ws|@statelyai)\//,
  /\/machines\//,
  /\/src\/network-manager\./,
  /\/src\/config\/(schema|validate|technology-modules)\./,
  /\/src\/technologies\//,
  /\/src\/linux\/(?!interface-name\.)/,
  /\/src\/inspect\//,
  /\/src\/cli\/(run|config-file|check|relay)\./,
];

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "statenet-client-imports-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI; returns its exit code and the modules it loaded. */
async function loadedBy(name: string, args: readonly string[]) {
  const record = join(dir, `${name}.txt`);
  const run = await execa(
    process.execPath,
    ["--import", "tsx", "--import", RECORDER, MAIN, ...args],
    {
      reject: false,
      env: { STATENET_LOAD_RECORD: record },
    },
  );
  const modules = (await readFile(record, "utf8")).split("\n").filter(Boolean);
  return { exitCode: run.exitCode, stdout: run.stdout, stderr: run.stderr, modules };
}

const daemonOnly = (modules: readonly string[]) =>
  modules.filter((url) => DAEMON_ONLY.some((pattern) => pattern.test(url)));

describe("the CLI's client path", () => {
  it("records what it loads: the recorder sees the CLI's own modules", async () => {
    const run = await loadedBy("version", ["--version"]);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+/);
    expect(run.modules.some((url) => url.endsWith("/src/cli/main.ts"))).toBe(true);
    expect(daemonOnly(run.modules)).toEqual([]);
  });

  it("info --config loads the client, not the daemon, the schemas or execa", async () => {
    const configPath = join(dir, "statenet.json");
    await writeFile(
      configPath,
      JSON.stringify({ tmpDir: join(dir, "run"), interfaces: { eth0: { type: "ethernet" } } }),
    );
    const run = await loadedBy("info", ["info", "--config", configPath]);
    // No daemon runs there: the client got as far as the socket.
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(join(dir, "run", "control"));
    expect(run.modules.some((url) => /\/src\/control\/client\.ts$/.test(url))).toBe(true);
    expect(daemonOnly(run.modules)).toEqual([]);
  });

  it("the check names a daemon module when one is loaded", async () => {
    // `check` loads the schemas and the preflight (execa): the patterns catch them.
    const run = await loadedBy("check", ["check", "--json"]);
    expect(daemonOnly(run.modules).length).toBeGreaterThan(0);
  });
});
