import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { InterfaceEvent } from "../../machines/interface.js";
import { installHandler } from "../../src/dhcp/handler-script.js";
import { createReportServer, type ReportServer } from "../../src/dhcp/report-server.js";
import { startUdhcpcDaemon } from "../../src/dhcp/udhcpc-daemon.js";
import { type CommandRunner, createCommandRunner } from "../../src/linux/command-runner.js";
import type { IpRunner } from "../../src/linux/ip.js";
import { PropertyTable } from "../../src/properties/property-table.js";
import type { DaemonDependencies, RunningDaemon } from "../../src/technologies/daemon.js";
import { InterfaceRequests } from "../../src/technologies/interface-requests.js";
import { captureLogs } from "../support/capture-logs.js";
import { waitUntil } from "../support/wait.js";

/**
 * The DHCP client daemon with everything real but udhcpc and the kernel: the
 * test plays udhcpc, running the real handler with the variables udhcpc
 * would give it, against the real report socket; `ip` only records.
 */

const OPTIONS_KEY = ["interface", "eth0", "dhcp_options"];
const LEASE = {
  interface: "eth0",
  ip: "192.0.2.120",
  subnet: "255.255.255.0",
  mask: "24",
  router: "192.0.2.1",
  dns: "192.0.2.1",
  domain: "lab.test",
  lease: "600",
  serverid: "192.0.2.1",
  ntpsrv: "192.0.2.1 192.0.2.2",
  search: "lab.test corp.test",
  opt58: "0000012c",
  opt224: "0102ab",
  opt53: "05",
};

let dir: string;
let server: ReportServer;
let handlerPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "statenet-udhcpc-daemon-"));
  server = await createReportServer({ dir: join(dir, "run"), logger: captureLogs().logger });
  handlerPath = await installHandler(join(dir, "handler"));
});

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Harness {
  daemon: RunningDaemon;
  properties: PropertyTable;
  sent: InterfaceEvent[];
  batches: string[][];
  logs: Array<Record<string, unknown>>;
  /** What udhcpc's handler would report for `event` with `variables`; resolves once the manager answered. */
  report(event: string, variables?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
  failAddresses: { next: boolean };
}

const running: Harness[] = [];
afterEach(async () => {
  for (const harness of running.splice(0)) await harness.stop();
});

async function startHarness(requestOptions?: Array<string | number>): Promise<Harness> {
  const { lines: logs, logger } = captureLogs();
  const properties = new PropertyTable();
  const sent: InterfaceEvent[] = [];
  const batches: string[][] = [];
  const failAddresses = { next: false };
  let udhcpcEnv: Record<string, string> | undefined;
  const real = createCommandRunner();
  // A stand-in udhcpc: a process that waits to be stopped, started with udhcpc's environment.
  const runner: CommandRunner = {
    netns: "udhcpc-daemon-test",
    run: real.run,
    sysctl: async () => {},
    spawn: (_file, _args, options) => {
      udhcpcEnv = options.env;
      return real.spawn("sleep", ["600"], options);
    },
  };
  const ip: IpRunner = {
    netns: "udhcpc-daemon-test",
    json: async <T>() => [] as T,
    batch: async (lines) => {
      if (failAddresses.next) {
        failAddresses.next = false;
        throw new Error("RTNETLINK answers: Operation not permitted");
      }
      batches.push([...lines]);
    },
  };
  const dependencies: DaemonDependencies = {
    ip,
    runner,
    dhcpServer: server,
    handlerPath,
    configDir: join(dir, "config"),
    pidDir: join(dir, "pids"),
    properties,
    portChanged: () => {},
    logger,
    commandTimeoutMs: 5_000,
    trackStop: () => {},
    requests: new InterfaceRequests(),
  };
  let stopped = false;
  const daemon = startUdhcpcDaemon(
    { kind: "udhcpc", ifname: "eth0", requestOptions: requestOptions as never },
    {
      dependencies,
      sendBack: (event) => sent.push(event),
      isStopped: () => stopped,
      renewOthers: () => {},
    },
  );
  const env = await waitUntil("udhcpc started", () => udhcpcEnv);
  const harness: Harness = {
    daemon,
    properties,
    sent,
    batches,
    logs,
    failAddresses,
    report: (event, variables = { interface: "eth0" }) =>
      new Promise((resolve, reject) => {
        execFile(handlerPath, [event], { env: { ...env, ...variables } }, (error, _out, stderr) =>
          error || stderr ? reject(error ?? new Error(stderr)) : resolve(),
        );
      }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await daemon.stop();
    },
  };
  running.push(harness);
  return harness;
}

describe("udhcpc daemon: interface/<if>/dhcp_options", () => {
  it("publishes everything a lease gave once its address is on, requested options raw", async () => {
    const harness = await startHarness([224]);
    await harness.report("bound", LEASE);
    expect(harness.batches).toEqual([
      [
        "addr replace 192.0.2.120/24 dev eth0 noprefixroute broadcast 192.0.2.255 valid_lft 600 preferred_lft 600",
      ],
    ]);
    expect(harness.properties.get(OPTIONS_KEY)).toEqual({
      address: "192.0.2.120",
      prefixLength: 24,
      netmask: "255.255.255.0",
      routers: ["192.0.2.1"],
      nameServers: ["192.0.2.1"],
      domain: "lab.test",
      leaseSeconds: 600,
      serverId: "192.0.2.1",
      ntpServers: ["192.0.2.1", "192.0.2.2"],
      search: ["lab.test", "corp.test"],
      renewalSeconds: 300,
      requested: { opt224: "0102ab" },
    });
    expect(harness.sent.at(-1)).toMatchObject({ type: "ipv4.updated" });
  });

  it.each([["nak"], ["nak", "deconfig"], ["nak", "deconfig", "leasefail"]])(
    "clears them on %s",
    async (...events) => {
      const harness = await startHarness();
      await harness.report("bound", LEASE);
      expect(harness.properties.get(OPTIONS_KEY)).toBeDefined();
      const batches = harness.batches.length;
      for (const event of events) await harness.report(event);
      expect(harness.properties.get(OPTIONS_KEY)).toBeUndefined();
      // The addresses were set again: to none (the stand-in kernel holds none to delete).
      expect(harness.batches.slice(batches)).toContainEqual([]);
      expect(harness.sent.at(-1)).toEqual({ type: "ipv4.cleared" });
      // And the next lease brings them back.
      await harness.report("renew", { ...LEASE, ip: "192.0.2.121" });
      expect(harness.properties.get(OPTIONS_KEY)).toMatchObject({ address: "192.0.2.121" });
    },
  );

  it.each([["deconfig"], ["deconfig", "leasefail"]])(
    "keeps the lease through %s while it runs: udhcpc gave up a renewal early",
    async (...events) => {
      const harness = await startHarness();
      await harness.report("bound", LEASE);
      const { batches, sent } = { batches: harness.batches.length, sent: harness.sent.length };
      for (const event of events) await harness.report(event);
      expect(harness.properties.get(OPTIONS_KEY)).toMatchObject({ address: "192.0.2.120" });
      expect(harness.batches).toHaveLength(batches);
      expect(harness.sent).toHaveLength(sent);
      expect(harness.logs.map((line) => line.msg)).toContain(
        "udhcpc gave up a renewal before the lease ends: the address stays while it asks again",
      );
      // The discover that follows replaces it.
      await harness.report("bound", { ...LEASE, ip: "192.0.2.121" });
      expect(harness.properties.get(OPTIONS_KEY)).toMatchObject({ address: "192.0.2.121" });
    },
  );

  it.each(["deconfig", "leasefail"])(
    "clears the addresses on %s before any lease",
    async (event) => {
      const harness = await startHarness();
      await harness.report(event);
      expect(harness.batches).toEqual([[]]);
      expect(harness.sent).toEqual([{ type: "ipv4.cleared" }]);
    },
  );

  it("clears them when it stops, though the address stays for the next udhcpc", async () => {
    const harness = await startHarness();
    await harness.report("bound", LEASE);
    const batches = harness.batches.length;
    await harness.stop();
    expect(harness.properties.get(OPTIONS_KEY)).toBeUndefined();
    expect(harness.batches).toHaveLength(batches);
  });

  it("clears them when a lease's address cannot be applied", async () => {
    const harness = await startHarness();
    await harness.report("bound", LEASE);
    harness.failAddresses.next = true;
    await harness.report("renew", { ...LEASE, ip: "192.0.2.122" });
    expect(harness.properties.get(OPTIONS_KEY)).toBeUndefined();
    expect(harness.logs.some((line) => line.msg === "applying a DHCP event failed")).toBe(true);
  });

  it("applies a lease without a subnet mask with the class's prefix, and warns", async () => {
    const harness = await startHarness();
    const { subnet: _subnet, mask: _mask, ...withoutSubnet } = LEASE;
    await harness.report("bound", { ...withoutSubnet, ip: "10.20.30.40", router: "10.0.0.1" });
    expect(harness.batches.at(-1)).toEqual([
      "addr replace 10.20.30.40/8 dev eth0 noprefixroute broadcast 10.255.255.255 valid_lft 600 preferred_lft 600",
    ]);
    expect(harness.properties.get(OPTIONS_KEY)).toMatchObject({
      prefixLength: 8,
      subnetAssumed: true,
    });
    expect(harness.logs.find((line) => line.level === 40)).toMatchObject({
      msg: "the DHCP server sent no subnet mask: assuming the address class's",
      address: "10.20.30.40",
      prefixLength: 8,
    });
  });

  it("warns about options it left out, and keeps the lease", async () => {
    const harness = await startHarness();
    await harness.report("bound", { ...LEASE, mtu: "12", search: "lab..test" });
    expect(harness.properties.get(OPTIONS_KEY)).toMatchObject({ address: "192.0.2.120" });
    expect(harness.properties.get(OPTIONS_KEY)).not.toHaveProperty("search");
    expect(
      harness.logs.find((line) => line.msg === "left out malformed DHCP options"),
    ).toMatchObject({ ignored: ["search", "mtu"] });
  });
});
