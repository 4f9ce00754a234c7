import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Lab, processAlive } from "../../lab/namespace-lab.js";
import type { DhcpLease } from "../../src/dhcp-server/leases.js";
import { parseLeaseFile } from "../../src/dhcp-server/leases.js";
import type { DhcpdConfig } from "../../src/dhcp-server/schema.js";
import { startUdhcpd, type Udhcpd, udhcpdPaths } from "../../src/dhcp-server/udhcpd.js";
import { udhcpdConf } from "../../src/dhcp-server/udhcpd-conf.js";
import { createCommandRunner } from "../../src/linux/command-runner.js";
import { daemonRecordPath } from "../../src/linux/daemon-pids.js";
import { captureLogs } from "../support/capture-logs.js";
import { describeAsRoot } from "../support/root.js";
import { waitUntil } from "../support/wait.js";

/**
 * statenet's udhcpd on the router end of a lab uplink (192.0.2.1/24 on
 * down0), busybox udhcpc as the client on the device end (eth0), each in its
 * own namespace. The client's MAC is set before each run, so one veth plays
 * a dynamic client and a static-lease client in turn.
 */

const DYNAMIC_MAC = "02:00:00:00:00:10";
const STATIC_MAC = "02:00:00:00:00:01";
const STATIC_ADDRESS = "192.0.2.5";

const dhcpd: DhcpdConfig = {
  start: "192.0.2.10",
  end: "192.0.2.50",
  leaseSeconds: 86400,
  options: { router: ["192.0.2.1"], dns: ["192.0.2.1"], domain: "lab.example" },
  staticLeases: [{ mac: STATIC_MAC, address: STATIC_ADDRESS }],
};

function inRange(address: string): boolean {
  const [a, b, c, d] = address.split(".").map(Number);
  return a === 192 && b === 0 && c === 2 && d !== undefined && d >= 10 && d <= 50;
}

/** One `busybox dumpleases -a -d` line: MAC, address, host name (perhaps none), expiry in Unix seconds. */
function parseDumpleases(stdout: string) {
  return stdout
    .split("\n")
    .slice(1)
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const fields = line.trim().split(/\s+/);
      return {
        mac: fields[0],
        address: fields[1],
        hostname: fields.length === 4 ? fields[2] : undefined,
        expiresAt: new Date(Number(fields.at(-1)) * 1000).toISOString(),
      };
    });
}

describeAsRoot("udhcpd serving a veth in a namespace", () => {
  let lab: Lab;
  let dir: string;
  let configDir: string;
  let pidFile: string;
  let clientScript: string;
  let udhcpd: Udhcpd | undefined;
  const reports: DhcpLease[][] = [];
  const { lines: logs, logger } = captureLogs();
  const latest = () => reports.at(-1) ?? [];
  let dynamicAddress = "";

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "statenet-udhcpd-test-"));
    configDir = join(dir, "run");
    pidFile = daemonRecordPath(join(dir, "pids"), "udhcpd", "down0");
    clientScript = join(dir, "client.sh");
    // udhcpc's handler: print the event and the address, nothing else.
    await writeFile(clientScript, '#!/bin/sh\necho "$1 $ip"\n', { mode: 0o755 });
    lab = await Lab.create({ uplinks: ["eth0"] });
  });

  afterAll(async () => {
    await udhcpd?.stop();
    await lab?.teardown();
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs busybox udhcpc once on the device end with this MAC; resolves with the address it was bound to. */
  async function leaseFor(mac: string, hostname: string): Promise<string> {
    await lab.ip().batch([`link set eth0 address ${mac}`]);
    const { stdout } = await lab.exec(lab.deviceNs, "busybox", [
      "udhcpc",
      "-f",
      "-q",
      "-n",
      "-i",
      "eth0",
      "-s",
      clientScript,
      "-t",
      "10",
      "-T",
      "1",
      "-x",
      `hostname:${hostname}`,
    ]);
    const bound = stdout.split("\n").find((line) => line.startsWith("bound "));
    if (!bound) throw new Error(`udhcpc got no lease: ${stdout}`);
    return bound.slice("bound ".length).trim();
  }

  it("starts udhcpd in the namespace and reports no leases yet", async () => {
    const uplink = lab.uplink("eth0");
    udhcpd = startUdhcpd({
      ifname: uplink.routerIfname,
      address: uplink.routerAddress,
      prefixLength: uplink.prefixLength,
      dhcpd,
      runner: createCommandRunner({ netns: uplink.routerNs }),
      configDir,
      pidFile,
      logger,
      restartDelayMs: 100,
      onLeases: (leases) => reports.push(leases),
    });
    await waitUntil("the first report", () => reports.length === 1);
    expect(reports[0]).toEqual([]);
    const pid = await waitUntil("udhcpd running", () => udhcpd?.pid);
    const { stdout } = await execa("ip", ["netns", "pids", uplink.routerNs]);
    expect(stdout.split("\n")).toContain(String(pid));

    const paths = udhcpdPaths(configDir, "down0");
    expect((await stat(paths.config)).mode & 0o777).toBe(0o644);
    expect(await readFile(paths.config, "utf8")).toBe(
      udhcpdConf({
        ifname: "down0",
        address: "192.0.2.1",
        prefixLength: 24,
        dhcpd,
        leaseFile: paths.leases,
        pidFile: paths.pid,
      }),
    );
    await waitUntil("the pid record", () =>
      readFile(pidFile, "utf8").then((text) => JSON.parse(text).pid === pid),
    );
  });

  it("leases a client an address in start..end and reports it", async () => {
    const startedAt = Date.now();
    const address = await leaseFor(DYNAMIC_MAC, "dynamic-one");
    const boundAt = Date.now();
    expect(inRange(address)).toBe(true);
    dynamicAddress = address;
    const [lease] = await waitUntil(
      "the client's lease reported",
      () => latest().some((each) => each.mac === DYNAMIC_MAC) && latest(),
    );
    console.log(
      `udhcpc start -> bound: ${boundAt - startedAt} ms, bound -> reported: ${Date.now() - boundAt} ms`,
    );
    expect(lease).toMatchObject({ mac: DYNAMIC_MAC, address, hostname: "dynamic-one" });
    const expiresIn = Date.parse(lease?.expiresAt ?? "") - Date.now();
    // A day, to the second udhcpd counts in.
    expect(Math.abs(expiresIn - 86_400_000)).toBeLessThan(5_000);
  });

  it("gives the client with a static lease its fixed address, and reports both", async () => {
    expect(await leaseFor(STATIC_MAC, "static-one")).toBe(STATIC_ADDRESS);
    const leases = await waitUntil("both leases reported", () => latest().length === 2 && latest());
    expect(leases.map((lease) => [lease.mac, lease.address, lease.hostname])).toEqual([
      [STATIC_MAC, STATIC_ADDRESS, "static-one"],
      [DYNAMIC_MAC, dynamicAddress, "dynamic-one"],
    ]);
    expect(udhcpd?.leases).toEqual(leases);
  });

  it("reads the lease file as busybox dumpleases does", async () => {
    const { leases: leaseFile } = udhcpdPaths(configDir, "down0");
    const { stdout } = await execa("busybox", ["dumpleases", "-a", "-d", "-f", leaseFile]);
    const parsed = parseLeaseFile(await readFile(leaseFile));
    const byAddress = (a: { address?: string }, b: { address?: string }) =>
      (a.address ?? "").localeCompare(b.address ?? "");
    expect(parseDumpleases(stdout).sort(byAddress)).toEqual(
      parsed.records
        .map(({ mac, address, hostname, expiresAt }) => ({ mac, address, hostname, expiresAt }))
        .sort(byAddress),
    );
    expect(parsed.records).toHaveLength(2);
  });

  it("restarts udhcpd when it dies, and it keeps its leases", async () => {
    const pid = udhcpd?.pid;
    if (pid === undefined) throw new Error("udhcpd is not running");
    const before = latest();
    process.kill(pid, "SIGKILL");
    const restarted = await waitUntil("udhcpd running again", () => {
      const now = udhcpd?.pid;
      return now !== undefined && now !== pid && now;
    });
    expect(udhcpd?.restarts).toBe(1);
    expect(processAlive(pid)).toBe(false);
    expect(logs.some((line) => line.msg === "udhcpd exited" && line.signal === "SIGKILL")).toBe(
      true,
    );
    expect(before.map((lease) => lease.mac)).toEqual([STATIC_MAC, DYNAMIC_MAC]);
    // The restarted udhcpd read its lease file: the client gets its address back.
    expect(await leaseFor(DYNAMIC_MAC, "dynamic-one")).toBe(dynamicAddress);
    expect(udhcpd?.pid).toBe(restarted);
    // udhcpd does not load static leases from its file (its config has them): the
    // static client is listed again once it asks again, at its renewal.
    await waitUntil("the list as the new udhcpd wrote it", () =>
      latest().every((lease) => lease.mac !== STATIC_MAC),
    );
    expect(latest().map((lease) => [lease.mac, lease.address])).toEqual([
      [DYNAMIC_MAC, dynamicAddress],
    ]);
    expect(await leaseFor(STATIC_MAC, "static-one")).toBe(STATIC_ADDRESS);
    await waitUntil("both leases reported again", () => latest().length === 2);
  });

  it("stops: udhcpd and its files are gone, and nothing is reported after", async () => {
    const pid = udhcpd?.pid;
    if (pid === undefined || !udhcpd) throw new Error("udhcpd is not running");
    const reported = reports.length;
    await udhcpd.stop();
    expect(processAlive(pid)).toBe(false);
    expect(udhcpd.pid).toBeUndefined();
    expect(await readdir(configDir)).toEqual([]);
    await expect(stat(pidFile)).rejects.toMatchObject({ code: "ENOENT" });
    const { stdout } = await execa("ip", ["netns", "pids", lab.uplink("eth0").routerNs]);
    expect(stdout.trim()).toBe("");
    expect(reports).toHaveLength(reported);
    // A stopped server answers no one.
    await lab.ip().batch([`link set eth0 address ${DYNAMIC_MAC}`]);
    const client = await lab
      .exec(lab.deviceNs, "busybox", [
        "udhcpc",
        "-f",
        "-q",
        "-n",
        "-i",
        "eth0",
        "-s",
        clientScript,
        "-t",
        "2",
        "-T",
        "1",
      ])
      .catch((error: { exitCode?: number }) => error);
    expect(client.exitCode).not.toBe(0);
  });
});
