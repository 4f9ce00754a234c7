import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { DaemonLab, STATENET_BIN, THREE_UPLINKS } from "../demo/daemon-lab.js";
import { exitOnSignals } from "../lab/namespace-lab.js";
import { report, summarize } from "./stats.js";

/**
 * How light statenet is to start (issue 17): the CLI's `--version` and a
 * client command against a running daemon, process start to exit;
 * `import("statenet")` in a fresh node; the daemon's resident memory once
 * three uplinks are up. Wall-clock figures of a shared machine: they include
 * whatever else it is doing, so each one says how many runs it is of.
 */

const RUNS = Number(process.env.STATENET_BENCH_FOOTPRINT_RUNS ?? 20);
/** Daemons started one after another for the memory figure. */
const DAEMONS = Number(process.env.STATENET_BENCH_FOOTPRINT_DAEMONS ?? 3);
const INTERNET_HOST = "203.0.113.53";
const LIBRARY = new URL("../dist/src/index.js", import.meta.url).href;

interface Run {
  wallMs: number;
  stdout: string;
}

/** One process, from spawning it to its exit; fails unless it exits 0. */
function timed(file: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const wallMs = performance.now() - started;
      if (code === 0) resolve({ wallMs, stdout });
      else reject(new Error(`${[file, ...args].join(" ")} exited with ${code}: ${stderr.trim()}`));
    });
  });
}

async function repeat(runs: number, file: string, args: readonly string[]): Promise<Run[]> {
  const results: Run[] = [];
  // One at a time: side by side they would time each other.
  for (let run = 0; run < runs; run += 1) results.push(await timed(file, args));
  return results;
}

/** `summarize`'s figures in seconds, to the millisecond. */
function inSeconds(samples: readonly number[]) {
  const { runs, median_ms, p99_ms, max_ms } = summarize(samples);
  const seconds = (ms: number) => Math.round(ms) / 1000;
  return { runs, median_s: seconds(median_ms), p99_s: seconds(p99_ms), max_s: seconds(max_ms) };
}

const wallTimes = (runs: readonly Run[]) => runs.map(({ wallMs }) => wallMs);

/** A fresh node that imports the library and prints how long the import took inside it. */
async function benchImport(): Promise<void> {
  // CPU time beside the wall clock: on a loaded machine it is the steadier figure.
  const script = `const c = process.cpuUsage(); const t = performance.now(); await import(${JSON.stringify(LIBRARY)}); const { user, system } = process.cpuUsage(c); process.stdout.write(JSON.stringify([performance.now() - t, (user + system) / 1000]));`;
  const runs = await repeat(RUNS, process.execPath, ["--input-type=module", "-e", script]);
  const bare = await repeat(RUNS, process.execPath, ["--input-type=module", "-e", ""]);
  const inside = runs.map(({ stdout }) => JSON.parse(stdout) as [number, number]);
  report("import_statenet_s", {
    ...inSeconds(inside.map(([wallMs]) => wallMs)),
    cpu: inSeconds(inside.map(([, cpuMs]) => cpuMs)),
    process_start_to_exit: inSeconds(wallTimes(runs)),
    bare_node_start_to_exit: inSeconds(wallTimes(bare)),
  });
}

/** The daemon with eth0 (DHCP), wlan0 (static) and wwan0 (DHCP), once all three reach the Internet. */
async function startedDaemon(): Promise<DaemonLab> {
  const daemon = await DaemonLab.start({
    uplinks: THREE_UPLINKS,
    internetHosts: [INTERNET_HOST],
    logLevel: "info",
  });
  try {
    for (const { ifname } of THREE_UPLINKS) {
      await daemon.waitForLog(
        (entry) =>
          entry.msg === "connectivity changed" &&
          entry.ifname === ifname &&
          entry.status === "internet",
        60_000,
      );
    }
    await daemon.timeUntilRoute(INTERNET_HOST, "eth0", performance.now(), 30_000);
    return daemon;
  } catch (error) {
    await daemon.stop();
    throw error;
  }
}

async function stopped(daemon: DaemonLab): Promise<void> {
  const exitCode = await daemon.stop();
  if (exitCode !== 0) throw new Error(`statenet exited with ${exitCode}`);
}

export async function benchFootprint(): Promise<void> {
  report("cli_version_s", inSeconds(wallTimes(await repeat(RUNS, STATENET_BIN, ["--version"]))));
  await benchImport();
  const rss: number[] = [];
  for (let started = 0; started < DAEMONS; started += 1) {
    const daemon = await startedDaemon();
    try {
      rss.push(await daemon.rssMb());
      if (started === 0) {
        // The control socket is a path under the file's tmpDir: reachable from this namespace.
        const info = await repeat(RUNS, STATENET_BIN, ["info", "--config", daemon.configPath]);
        if (!info.every(({ stdout }) => stdout.includes("eth0"))) {
          throw new Error("statenet info did not show eth0");
        }
        report("cli_info_s", { ...inSeconds(wallTimes(info)), interfaces: 3 });
      }
    } finally {
      await stopped(daemon);
    }
  }
  const sorted = [...rss].sort((a, b) => a - b);
  const mb = (value: number | undefined) => Math.round((value ?? Number.NaN) * 10) / 10;
  report("daemon_rss_mb", {
    daemons: rss.length,
    interfaces: THREE_UPLINKS.length,
    median_mb: mb(sorted[Math.floor((sorted.length - 1) / 2)]),
    max_mb: mb(sorted.at(-1)),
  });
}

// `tsx bench/footprint.ts` runs this bench alone (root, for the daemon's namespace lab).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.env.STATENET_REQUIRE_NETNS = "1";
  exitOnSignals();
  await benchFootprint();
}
