import { readdirSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Lab, processAlive } from "../../lab/namespace-lab.js";
import type { IpRunner } from "../../src/linux/ip.js";
import {
  createKernelMonitor,
  type KernelMonitor,
  subscribedToRtnetlink,
} from "../../src/linux/kernel-monitor.js";
import type { LinkAddress, LinkChange } from "../../src/linux/link-state.js";
import { silentLogger } from "../../src/log.js";
import { PropertyTable } from "../../src/properties/property-table.js";
import { describeAsRoot } from "../support/root.js";

/** Carrier events of a veth whose peer is in another namespace come at most about once a second. */
const CARRIER_SPACING_MS = 1100;

interface Report {
  at: number;
  changes: LinkChange[];
}

/** Collects onChange calls with the time they were made. */
function recorder() {
  const reports: Report[] = [];
  return {
    reports,
    onChange: (changes: LinkChange[]) => {
      reports.push({ at: performance.now(), changes });
    },
    /** The first change of `ifname` after report number `from` that satisfies `predicate`. */
    async next(
      from: number,
      ifname: string,
      predicate: (change: LinkChange) => boolean,
      timeoutMs = 1500,
    ): Promise<{ at: number; change: LinkChange }> {
      return vi.waitFor(
        () => {
          for (const report of reports.slice(from)) {
            const change = report.changes.find(
              (candidate) => candidate.ifname === ifname && predicate(candidate),
            );
            if (change) return { at: report.at, change };
          }
          throw new Error(`no matching change of ${ifname} within ${timeoutMs} ms`);
        },
        { timeout: timeoutMs, interval: 2 },
      );
    },
  };
}

/** Pids of the `ip monitor` processes inside a namespace. */
async function monitorPids(lab: Lab, ns: string): Promise<number[]> {
  const { stdout } = await lab.exec(ns, "ip", ["netns", "pids", ns]).catch(() => ({ stdout: "" }));
  const pids = stdout.split(/\s+/).filter(Boolean).map(Number);
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes("monitor");
    } catch {
      return false;
    }
  });
}

async function onlyMonitorPid(lab: Lab): Promise<number> {
  const pids = await monitorPids(lab, lab.deviceNs);
  expect(pids).toHaveLength(1);
  return pids[0] as number;
}

/** Pids of this machine's processes whose command line contains `text`. */
function processesMentioning(text: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const inet = (address: string, prefixLength = 24): LinkAddress => ({
  family: "inet",
  address,
  prefixLength,
});

describeAsRoot("kernel monitor on a real kernel (network namespaces)", () => {
  let lab: Lab;
  let monitor: KernelMonitor;
  const properties = new PropertyTable();
  const record = recorder();
  const prop = (ifname: string, name: string) => properties.get(["interface", ifname, name]);
  let lastCarrierFlap = 0;

  async function carrierPause(): Promise<void> {
    await sleep(Math.max(0, lastCarrierFlap + CARRIER_SPACING_MS - performance.now()));
  }

  beforeAll(async () => {
    lab = await Lab.create({ uplinks: ["eth0", "wlan0"] });
    lastCarrierFlap = performance.now();
    monitor = createKernelMonitor({
      ip: lab.ip(),
      logger: silentLogger(),
      properties,
      onChange: record.onChange,
      restartDelayMs: 100,
    });
  });

  afterAll(async () => {
    await monitor?.stop();
    await lab?.teardown();
  });

  it("publishes every uplink, carrier up, once start() resolves", async () => {
    const links = await monitor.start();
    expect([...links.keys()]).toEqual(["eth0", "wlan0"]);
    for (const ifname of ["eth0", "wlan0"]) {
      expect(prop(ifname, "present")).toBe(true);
      expect(prop(ifname, "lower_up")).toBe(true);
      expect(prop(ifname, "hw_path")).toBe("/devices/virtual");
      expect(prop(ifname, "mac_address")).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      expect(prop(ifname, "mac_address")).toBe(links.get(ifname)?.macAddress);
    }
    expect(properties.get(["interface", "lo", "present"])).toBeUndefined();
    expect(record.reports).toHaveLength(1);
    expect(record.reports[0]?.changes.map((change) => change.ifname)).toEqual(["eth0", "wlan0"]);
  });

  it("reports an unplugged cable within 1.5 s", async () => {
    await carrierPause();
    const from = record.reports.length;
    const unpluggedAt = performance.now();
    await lab.unplug("eth0");
    lastCarrierFlap = performance.now();
    const { at, change } = await record.next(from, "eth0", (candidate) => !candidate.lowerUp);
    console.info(`kernel monitor: unplug -> onChange ${(at - unpluggedAt).toFixed(1)} ms`);
    expect(change).toMatchObject({ present: true, adminUp: true, lowerUp: false });
    expect(prop("eth0", "lower_up")).toBe(false);
    expect(prop("eth0", "present")).toBe(true);
    expect(monitor.links().get("eth0")?.lowerUp).toBe(false);
  });

  it("reports the cable plugged back in", async () => {
    await carrierPause();
    const from = record.reports.length;
    const pluggedAt = performance.now();
    await lab.plug("eth0");
    lastCarrierFlap = performance.now();
    const { at } = await record.next(from, "eth0", (candidate) => candidate.lowerUp);
    console.info(`kernel monitor: plug -> onChange ${(at - pluggedAt).toFixed(1)} ms`);
    expect(prop("eth0", "lower_up")).toBe(true);
  });

  it("publishes an added address", async () => {
    const from = record.reports.length;
    await lab.ip().batch(["addr add 192.0.2.10/24 dev eth0"]);
    await record.next(from, "eth0", (candidate) =>
      candidate.addresses.some((address) => address.address === "192.0.2.10"),
    );
    expect(prop("eth0", "addresses")).toContainEqual(inet("192.0.2.10"));
  });

  it("marks a deleted link absent and removes its other properties", async () => {
    const from = record.reports.length;
    await lab.ip().batch(["link del wlan0"]);
    const { change } = await record.next(from, "wlan0", (candidate) => !candidate.present);
    expect(change).toMatchObject({ present: false, lowerUp: false, addresses: [] });
    expect(prop("wlan0", "present")).toBe(false);
    expect(prop("wlan0", "lower_up")).toBe(false);
    for (const name of ["mac_address", "addresses", "hw_path"]) {
      expect(prop("wlan0", name)).toBeUndefined();
    }
    expect(monitor.links().has("wlan0")).toBe(false);
  });

  it("restarts a monitor that died and catches up on what it missed", async () => {
    const dead = await onlyMonitorPid(lab);
    process.kill(dead, "SIGKILL");
    // While no monitor runs: only a resync can see this.
    await lab.ip().batch(["addr add 192.0.2.11/24 dev eth0"]);
    await vi.waitFor(() => expect(prop("eth0", "addresses")).toContainEqual(inet("192.0.2.11")), {
      timeout: 10_000,
      interval: 5,
    });
    const restarted = await vi.waitFor(
      async () => {
        const pids = await monitorPids(lab, lab.deviceNs);
        expect(pids).toHaveLength(1);
        expect(pids[0]).not.toBe(dead);
        return pids[0] as number;
      },
      { timeout: 10_000, interval: 20 },
    );
    expect(processAlive(dead)).toBe(false);
    expect(processAlive(restarted)).toBe(true);
    // Restarted means events reach it again, not only that a process exists.
    await vi.waitFor(async () => expect(await subscribedToRtnetlink(restarted)).toBe(true), {
      timeout: 10_000,
      interval: 5,
    });
    const from = record.reports.length;
    await lab.ip().batch(["addr del 192.0.2.11/24 dev eth0"]);
    await record.next(
      from,
      "eth0",
      (candidate) => !candidate.addresses.some((address) => address.address === "192.0.2.11"),
      5_000,
    );
  });

  it("stop() kills the monitor by its pid, and no callback follows", async () => {
    const pid = await onlyMonitorPid(lab);
    const changes: unknown[] = [];
    properties.subscribe(["interface"], (change) => changes.push(change));
    await monitor.stop();
    expect(processAlive(pid)).toBe(false);
    expect(await monitorPids(lab, lab.deviceNs)).toEqual([]);
    const reports = record.reports.length;
    await carrierPause();
    await lab.unplug("eth0");
    lastCarrierFlap = performance.now();
    await lab.ip().batch(["addr add 192.0.2.12/24 dev eth0"]);
    await sleep(1200);
    expect(record.reports).toHaveLength(reports);
    expect(changes).toEqual([]);
    await expect(monitor.refresh()).resolves.toBeUndefined();
    expect(record.reports).toHaveLength(reports);
  });
});

/** Wraps a runner so that dumps can be held back and counted. */
function gatedRunner(ip: IpRunner, options: { ignoreAbort?: boolean } = {}) {
  let open = true;
  let release: () => void = () => {};
  let gate = Promise.resolve();
  const state = { linkDumps: 0, waiting: 0, inFlight: 0, maxInFlight: 0 };
  const runner: IpRunner = {
    netns: ip.netns,
    async json<T>(args: readonly string[], signal?: AbortSignal): Promise<T> {
      const isLinkDump = args.includes("link");
      if (isLinkDump) {
        state.linkDumps += 1;
        state.inFlight += 1;
        state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      }
      try {
        if (!open) {
          state.waiting += 1;
          await gate;
          state.waiting -= 1;
        }
        // Ignoring the abort lets a dump finish after stop(), to prove nothing is published from it.
        return await ip.json<T>(args, options.ignoreAbort ? undefined : signal);
      } finally {
        if (isLinkDump) state.inFlight -= 1;
      }
    },
    batch: (lines, signal) => ip.batch(lines, signal),
  };
  return {
    runner,
    state,
    close() {
      open = false;
      gate = new Promise((resolve) => {
        release = resolve;
      });
    },
    open() {
      open = true;
      release();
    },
  };
}

describeAsRoot("kernel monitor scheduling (network namespaces)", () => {
  let lab: Lab;
  let scratch: string;
  const monitors: KernelMonitor[] = [];

  beforeAll(async () => {
    lab = await Lab.create({ uplinks: ["eth0"] });
    scratch = await mkdtemp(join(tmpdir(), "statenet-kernel-monitor-"));
  });

  afterAll(async () => {
    await Promise.all(monitors.map((monitor) => monitor.stop()));
    await lab?.teardown();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  function monitorWith(options: Partial<Parameters<typeof createKernelMonitor>[0]>) {
    const monitor = createKernelMonitor({ ip: lab.ip(), logger: silentLogger(), ...options });
    monitors.push(monitor);
    return monitor;
  }

  it("runs one dump at a time, and events during a dump cause exactly one more", async () => {
    const gated = gatedRunner(lab.ip());
    const monitor = monitorWith({ ip: gated.runner });
    await monitor.start();
    const before = gated.state.linkDumps;
    await monitor.refresh();
    expect(gated.state.linkDumps).toBe(before + 1);

    gated.close();
    const start = gated.state.linkDumps;
    await lab.ip().batch(["addr add 192.0.2.20/24 dev eth0"]);
    await vi.waitFor(() => expect(gated.state.waiting).toBeGreaterThan(0), { interval: 2 });
    await lab
      .ip()
      .batch([
        "addr add 192.0.2.21/24 dev eth0",
        "addr add 192.0.2.22/24 dev eth0",
        "addr add 192.0.2.23/24 dev eth0",
      ]);
    await sleep(100);
    expect(gated.state.linkDumps).toBe(start + 1);
    gated.open();
    await vi.waitFor(
      () =>
        expect(monitor.links().get("eth0")?.addresses).toContainEqual({
          family: "inet",
          address: "192.0.2.23",
          prefixLength: 24,
        }),
      { timeout: 5_000, interval: 2 },
    );
    await sleep(200);
    expect(gated.state.linkDumps).toBe(start + 2);
    expect(gated.state.maxInFlight).toBe(1);
    await monitor.stop();
  });

  it("publishes nothing from a dump that was in flight when stop() was called", async () => {
    const gated = gatedRunner(lab.ip(), { ignoreAbort: true });
    const properties = new PropertyTable();
    const record = recorder();
    const monitor = monitorWith({ ip: gated.runner, properties, onChange: record.onChange });
    await monitor.start();
    const reports = record.reports.length;
    const published = properties.getByPrefix(["interface"]);
    gated.close();
    await lab.ip().batch(["addr add 192.0.2.40/24 dev eth0"]);
    await vi.waitFor(() => expect(gated.state.waiting).toBeGreaterThan(0), { interval: 2 });
    const stopping = monitor.stop();
    gated.open();
    await stopping;
    expect(record.reports).toHaveLength(reports);
    expect(properties.getByPrefix(["interface"])).toEqual(published);
  });

  it("resyncs when ip monitor reports a netlink overrun", async () => {
    // Stands in for `ip monitor`: reports no event at all, and prints the line
    // ip prints when the kernel dropped events whenever the trigger file appears.
    const fakeIp = join(scratch, "fake-ip");
    await writeFile(
      fakeIp,
      [
        "#!/bin/sh",
        "while :; do",
        '  if [ -e "$0.overrun" ]; then',
        '    rm -f "$0.overrun"',
        '    echo "netlink receive error No buffer space available (105)" >&2',
        "  fi",
        "  sleep 0.02",
        "done",
        "",
      ].join("\n"),
    );
    await chmod(fakeIp, 0o755);
    const monitor = monitorWith({ ipPath: fakeIp });
    await monitor.start();
    await lab.ip().batch(["addr add 192.0.2.30/24 dev eth0"]);
    await sleep(300);
    const addresses = () => monitor.links().get("eth0")?.addresses ?? [];
    expect(addresses()).not.toContainEqual(inet("192.0.2.30"));
    await writeFile(`${fakeIp}.overrun`, "");
    await vi.waitFor(() => expect(addresses()).toContainEqual(inet("192.0.2.30")), {
      timeout: 5_000,
      interval: 5,
    });
    await monitor.stop();
  });

  it("start() rejects when the namespace cannot be read, and leaves nothing running", async () => {
    const missing = `${lab.name}-missing`;
    const monitor = monitorWith({ ip: lab.ip(missing) });
    await expect(monitor.start()).rejects.toThrow(/missing/);
    expect(processesMentioning(missing)).toEqual([]);
    // Stopped by the failed start: nothing more to do.
    await expect(monitor.refresh()).resolves.toBeUndefined();
  });
});

describe("kernel monitor before start", () => {
  it("refuses refresh() before start() and start() after stop()", async () => {
    const ip: IpRunner = {
      netns: undefined,
      json: () => Promise.reject(new Error("no dumps in this test")),
      batch: () => Promise.reject(new Error("no batches in this test")),
    };
    const monitor = createKernelMonitor({ ip, logger: silentLogger() });
    await expect(monitor.refresh()).rejects.toThrow(/not started/);
    await monitor.stop();
    await expect(monitor.start()).rejects.toThrow(/only be called once/);
    expect(monitor.links().size).toBe(0);
  });
});
