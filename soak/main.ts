import { createWriteStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { DaemonLab, processResources, STATENET_BIN } from "../demo/daemon-lab.js";
import {
  exitOnSignals,
  labUnavailableReason,
  namespacePids,
  processAlive,
} from "../lab/namespace-lab.js";
import type { ConnectivitySettings } from "../machines/connectivity-checker.js";
import { controlRequest } from "../src/control/client.js";
import { MAX_RESTART_DELAY_MS } from "../src/linux/supervised-process.js";
import { InvariantBroken, kernelProblems, recordedDaemons, within } from "./checks.js";
import { ProbeHelperDevice } from "./probe-helper-device.js";

/**
 * `npm run soak`: the daemon on a device with three uplinks (eth0 on DHCP
 * behind an 802.1X switch port, wlan0 static, wwan0 on DHCP), and faults at
 * random for STATENET_SOAK_MINUTES (default 60): cables pulled, upstreams cut,
 * udhcpd restarted, udhcpc, wpa_supplicant and the daemon itself killed
 * with SIGKILL, reloads with good and bad files, a second instance, bursts of
 * configure/deconfigure over the control socket, and the probe helper of an
 * embedded manager killed beside it. After each fault the default route must
 * follow the best working uplink within the bounds below, statenet's rules
 * and routes must hang together, and nothing of a stopped daemon may be left.
 * Prints one JSON line per fault and a summary; exits 1 when an invariant broke.
 * STATENET_SOAK_LOG=FILE keeps the daemon's log there, the faults marked in it,
 * to see why an invariant broke (STATENET_SOAK_LOG_LEVEL=debug for more).
 */

process.env.STATENET_REQUIRE_NETNS = "1";
exitOnSignals();

const unavailable = labUnavailableReason();
if (unavailable) {
  console.error(`statenet soak: ${unavailable}`);
  process.exit(1);
}

const MINUTES = Number(process.env.STATENET_SOAK_MINUTES ?? 60);
const SEED = Number(process.env.STATENET_SOAK_SEED ?? Date.now() % 2 ** 31);
const INTERNET_HOST = "203.0.113.53";
/** Faster than the defaults, so that a few minutes see many faults; the bounds follow from them. */
const CONNECTIVITY: Partial<ConnectivitySettings> = {
  intervalMs: 2_000,
  timeoutMs: 1_000,
  lanIntervalMs: 2_000,
  recoveryIntervalMs: 1_000,
  recoveryChecks: 3,
  holdDownBaseMs: 5_000,
  holdDownMaxMs: 20_000,
  dampingResetMs: 30_000,
};
/** Slack for a loaded 2-core machine on top of each documented time. */
const SLACK_MS = 5_000;
const BOUNDS = {
  /** Carrier loss moves the route at once (the bench measures tens of ms). */
  carrierMs: 1_000 + SLACK_MS,
  /** A silent upstream: one interval, the check's and the confirmation's timeouts. */
  upstreamMs: 2_000 + 2 * 1_000 + SLACK_MS,
  /** Back on the best uplink after a fault: the longest hold-down, recovery checks, a lease or an 802.1X exchange. */
  convergeMs: 20_000 + 3 * 1_000 + 2_000 + 15_000 + SLACK_MS,
  /**
   * A killed udhcpc or wpa_supplicant runs again: restarts back off from 1 s,
   * doubling while the runs between deaths stay short, up to the documented cap
   * (the soak's cable pulls restart wpa_supplicant, so its runs are often short).
   */
  restartMs: MAX_RESTART_DELAY_MS + SLACK_MS,
};

/** Deterministic for a seed, so a failing run can be repeated. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
const rand = random(SEED);

const device = await DaemonLab.start({
  uplinks: [
    { ifname: "eth0", ipv4: "dhcp", ieee8021x: true },
    { ifname: "wlan0", ipv4: "static" },
    { ifname: "wwan0", ipv4: "dhcp" },
  ],
  internetHosts: [INTERNET_HOST],
  logLevel: process.env.STATENET_SOAK_LOG_LEVEL ?? "info",
  connectivity: CONNECTIVITY,
});
const { lab } = device;
const logFile = process.env.STATENET_SOAK_LOG
  ? createWriteStream(process.env.STATENET_SOAK_LOG)
  : undefined;
if (logFile) {
  device.onLog(({ atMs, entry }) => logFile.write(`${JSON.stringify({ atMs, ...entry })}\n`));
}
/** A line in the kept log, on the daemon log's clock. */
const mark = (what: Record<string, unknown>) =>
  logFile?.write(
    `${JSON.stringify({ atMs: performance.now() - device.startedAt, soak: true, ...what })}\n`,
  );
const tmpDir = String(device.config.tmpDir);
const pidDir = join(tmpDir, "pids");
const socket = join(tmpDir, "control", "control.sock");
let helperDevice: ProbeHelperDevice | undefined;

const counts = new Map<string, number>();
let invariantsHeld = 0;
const broken: string[] = [];
/** Resource samples of the current daemon instance, after its warm-up. */
let samples: Array<{ atMs: number; rssMb: number; fds: number }> = [];
let longest: { minutes: number; rssGrowthMb: number; fdGrowth: number } | undefined;
let instanceStartedAt = performance.now();

const routeDev = () => device.routeDev(INTERNET_HOST);

async function held(invariant: string, check: () => Promise<unknown>): Promise<void> {
  try {
    await check();
    invariantsHeld += 1;
  } catch (error) {
    if (!(error instanceof InvariantBroken)) throw error;
    broken.push(error.message);
    console.log(JSON.stringify({ invariant, broken: error.message }));
    mark({ invariant, broken: error.message });
  }
}

/** The daemon, back on eth0 with the whole device at `internet`, and its kernel entries consistent. */
async function converged(): Promise<void> {
  await held("route back on the best uplink", () =>
    within("route back on eth0", BOUNDS.convergeMs, async () => (await routeDev()) === "eth0"),
  );
  await held("every uplink back", () =>
    within(
      "available_interfaces has all three",
      BOUNDS.convergeMs,
      async () => {
        const reply = await controlRequest(socket, {
          command: "get",
          key: ["available_interfaces"],
        }).catch(() => undefined);
        return reply?.ok === true && (reply.result as string[] | undefined)?.length === 3;
      },
      async () => `(route via ${await routeDev()})`,
    ),
  );
  await held("statenet's rules and routes hang together", async () => {
    const problems = await kernelProblems(lab);
    if (problems.length > 0) throw new InvariantBroken("kernel entries", problems.join("; "));
  });
}

/** The route leaves `ifname` within the bound while another uplink works. */
function leaves(ifname: string, boundMs: number): Promise<void> {
  return held(`route leaves ${ifname}`, () =>
    within(`route off ${ifname}`, boundMs, async () => (await routeDev()) !== ifname),
  );
}

async function sampleResources(): Promise<void> {
  const ageMs = performance.now() - instanceStartedAt;
  // The first minute is warm-up: JIT, caches, the first leases.
  if (ageMs < 60_000) return;
  const resources = await processResources(device.pid);
  if (resources) samples.push({ atMs: ageMs, ...resources });
}

/** Records the growth of the instance that ends now, if it lived longest so far. */
function closeInstance(): void {
  const first = samples[0];
  const last = samples.at(-1);
  if (first && last) {
    const minutes = (last.atMs - first.atMs) / 60_000;
    if (!longest || minutes > longest.minutes) {
      longest = {
        minutes: Math.round(minutes * 10) / 10,
        rssGrowthMb: Math.round((last.rssMb - first.rssMb) * 10) / 10,
        fdGrowth: last.fds - first.fds,
      };
    }
  }
  samples = [];
}

async function setConfig(change: (config: Record<string, unknown>) => void): Promise<void> {
  const config = structuredClone(device.config) as Record<string, unknown>;
  change(config);
  await writeFile(device.configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
}

async function signalDaemon(signal: NodeJS.Signals): Promise<void> {
  process.kill(device.pid, signal);
}

const cli = (args: string[]) =>
  execa(STATENET_BIN, [...args, "--config", device.configPath], { reject: false });

type Fault = { name: string; weight: number; run: () => Promise<void> };

const FAULTS: Fault[] = [
  {
    name: "eth0 cable pulled",
    weight: 3,
    run: async () => {
      await lab.unplug("eth0");
      await leaves("eth0", BOUNDS.carrierMs);
      await sleep(rand() * 5_000);
      await lab.plug("eth0");
    },
  },
  {
    name: "wlan0 cable pulled",
    weight: 1,
    run: async () => {
      await lab.unplug("wlan0");
      await sleep(rand() * 5_000);
      await held("eth0 keeps the route", async () => {
        const dev = await routeDev();
        if (dev !== "eth0") throw new InvariantBroken("route", `on ${dev}`);
      });
      await lab.plug("wlan0");
    },
  },
  {
    name: "eth0 upstream cut",
    weight: 3,
    run: async () => {
      const router = lab.ip(lab.uplink("eth0").routerNs);
      await router.batch([`route replace blackhole ${INTERNET_HOST}/32`]);
      try {
        await leaves("eth0", BOUNDS.upstreamMs);
        await sleep(rand() * 8_000);
      } finally {
        await router.batch([`route del blackhole ${INTERNET_HOST}/32`]);
      }
    },
  },
  {
    name: "udhcpd restarted",
    weight: 1,
    run: async () => {
      const ifname = rand() < 0.5 ? "eth0" : "wwan0";
      await device.dhcpServers.get(ifname)?.stop();
      await sleep(rand() * 3_000);
      device.dhcpServers.set(ifname, await lab.startDhcpServer(ifname));
    },
  },
  {
    name: "udhcpc SIGKILLed",
    weight: 2,
    run: () => killRecorded(rand() < 0.5 ? "udhcpc-eth0" : "udhcpc-wwan0"),
  },
  {
    name: "wpa_supplicant SIGKILLed",
    weight: 2,
    run: () => killRecorded("wpa_supplicant-eth0"),
  },
  {
    name: "daemon SIGKILLed and started again",
    weight: 1,
    run: async () => {
      const left = await recordedDaemons(pidDir);
      process.kill(device.pid, "SIGKILL");
      await device.daemon;
      closeInstance();
      device.restart();
      instanceStartedAt = performance.now();
      await held("the next start ends what the killed one left", () =>
        within(
          "leftover daemons gone",
          10_000,
          () => [...left.values()].every((pid) => !processAlive(pid)),
          () => `(still running: ${[...left.values()].filter(processAlive).join(" ")})`,
        ),
      );
    },
  },
  {
    name: "reload with a changed file (SIGHUP)",
    weight: 1,
    run: async () => {
      const intervalMs = rand() < 0.5 ? 2_000 : 3_000;
      await setConfig((config) => {
        const wwan0 = (config.interfaces as Record<string, Record<string, unknown>>).wwan0;
        if (wwan0) wwan0.connectivity = { ...CONNECTIVITY, intervalMs };
      });
      await signalDaemon("SIGHUP");
      await held("a reload keeps the daemon", () =>
        within("daemon alive after SIGHUP", 2_000, () => processAlive(device.pid)),
      );
    },
  },
  {
    name: "reload with a bad file (SIGHUP)",
    weight: 1,
    run: async () => {
      const before = await routeDev();
      const mark = device.log.length;
      await writeFile(device.configPath, '{"interfaces": {"eth0": {"type": "ethernet", "ipv4"');
      await signalDaemon("SIGHUP");
      await held("a bad file is refused and changes nothing", async () => {
        await device.waitForLog((entry) => Number(entry.level) >= 50, 10_000, mark);
        if (!processAlive(device.pid)) throw new InvariantBroken("daemon", "died on a bad file");
        const after = await routeDev();
        if (after !== before) throw new InvariantBroken("route", `${before} became ${after}`);
      });
      await setConfig(() => {});
    },
  },
  {
    name: "second instance started",
    weight: 1,
    run: async () => {
      const second = await execa(
        "ip",
        ["netns", "exec", lab.deviceNs, STATENET_BIN, "run", "--config", device.configPath],
        { reject: false, timeout: 30_000 },
      );
      await held("a second run exits 1 and leaves the first alone", async () => {
        if (second.exitCode !== 1 || !second.stderr.includes("already running")) {
          throw new InvariantBroken("lock", `exit ${second.exitCode}: ${second.stderr}`);
        }
        if ((await routeDev()) !== "eth0") throw new InvariantBroken("route", "left eth0");
      });
    },
  },
  {
    name: "configure/deconfigure burst",
    weight: 1,
    run: async () => {
      const steps = [
        ["configure", "wwan0", JSON.stringify(lab.staticConfig("wwan0"))],
        ["deconfigure", "wwan0"],
        ["configure", "wwan0", '{"type":"ethernet","ipv4":{"method":"dhcp"}}'],
        ["deconfigure", "wwan0"],
        ["reset", "wwan0"],
      ];
      for (const step of steps) {
        const result = await cli(step);
        await held(`${step[0]} answers`, async () => {
          if (result.exitCode !== 0) {
            throw new InvariantBroken(step.join(" "), `exit ${result.exitCode}: ${result.stderr}`);
          }
        });
      }
      await held("eth0 keeps the route through the burst", async () => {
        const dev = await routeDev();
        if (dev !== "eth0") throw new InvariantBroken("route", `on ${dev}`);
      });
    },
  },
  {
    name: "probe helper SIGKILLed (embedded manager)",
    weight: 1,
    run: async () => {
      const helper = helperDevice;
      if (!helper) return;
      await held("a killed probe helper changes no status", () => helper.killProbeHelper());
    },
  },
];

async function killRecorded(name: string): Promise<void> {
  const pid = (await recordedDaemons(pidDir)).get(name);
  if (pid === undefined) return;
  process.kill(pid, "SIGKILL");
  await held(`${name} restarted`, () =>
    within(`${name} runs again`, BOUNDS.restartMs, async () => {
      const next = (await recordedDaemons(pidDir)).get(name);
      return next !== undefined && next !== pid && processAlive(next);
    }),
  );
}

function pickFault(): Fault {
  const total = FAULTS.reduce((sum, fault) => sum + fault.weight, 0);
  let pick = rand() * total;
  for (const fault of FAULTS) {
    pick -= fault.weight;
    if (pick < 0) return fault;
  }
  return FAULTS[0] as Fault;
}

const started = performance.now();
let exitCode = 1;
try {
  console.log(
    JSON.stringify({ soak: "start", minutes: MINUTES, seed: SEED, lab: lab.name, bounds: BOUNDS }),
  );
  helperDevice = await ProbeHelperDevice.start(INTERNET_HOST, CONNECTIVITY);
  await converged();
  while (performance.now() - started < MINUTES * 60_000) {
    const fault = pickFault();
    const since = performance.now();
    const before = broken.length;
    mark({ fault: fault.name });
    await fault.run();
    mark({ converging: fault.name });
    await converged();
    await sampleResources();
    counts.set(fault.name, (counts.get(fault.name) ?? 0) + 1);
    console.log(
      JSON.stringify({
        atS: Math.round((performance.now() - started) / 1000),
        fault: fault.name,
        tookS: Math.round(performance.now() - since) / 1000,
        ok: broken.length === before,
      }),
    );
  }
  closeInstance();
  const daemonExit = await device.stopDaemon();
  await held("SIGTERM: exit 0, no process left", async () => {
    const left = namespacePids(lab.deviceNs);
    if (daemonExit !== 0 || left.length > 0) {
      throw new InvariantBroken("stop", `exit ${daemonExit}, left running: ${left.join(" ")}`);
    }
  });
  await held("SIGTERM: statenet's rules and routes hang together", async () => {
    const problems = await kernelProblems(lab);
    if (problems.length > 0) throw new InvariantBroken("kernel entries", problems.join("; "));
  });
  exitCode = broken.length === 0 ? 0 : 1;
} finally {
  await helperDevice?.stop();
  await device.stop();
  const faults = [...counts.values()].reduce((sum, count) => sum + count, 0);
  console.log(
    JSON.stringify({
      soak: "summary",
      minutes: Math.round((performance.now() - started) / 600) / 100,
      seed: SEED,
      faults,
      byFault: Object.fromEntries(counts),
      invariantsHeld,
      invariantsBroken: broken.length,
      longestDaemon: longest ?? "no instance lived past its warm-up",
    }),
  );
  console.log(
    `soak: ${faults} faults injected, ${invariantsHeld} invariants held, ${broken.length} broken` +
      (longest
        ? `; over ${longest.minutes} min the daemon grew ${longest.rssGrowthMb} MB RSS and ${longest.fdGrowth} fds`
        : ""),
  );
}
process.exit(exitCode);
