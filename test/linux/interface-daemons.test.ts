import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { createActor, setup } from "xstate";
import type { DaemonsInput } from "../../machines/interface.js";
import type { Ieee8021xConfig } from "../../src/config/schema.js";
import type { ReportServer } from "../../src/dhcp/report-server.js";
import type { UdhcpcDaemonSpec } from "../../src/dhcp/udhcpc-daemon.js";
import { type CommandRunner, createCommandRunner } from "../../src/linux/command-runner.js";
import { daemonRecordPath } from "../../src/linux/daemon-pids.js";
import { interfaceDaemons } from "../../src/linux/interface-daemons.js";
import { createIpRunner } from "../../src/linux/ip.js";
import { silentLogger } from "../../src/log.js";
import { PropertyTable } from "../../src/properties/property-table.js";
import { BUILTIN_TECHNOLOGIES } from "../../src/technologies/builtin.js";
import type { WiredSupplicantSpec } from "../../src/technologies/ethernet/plan.js";
import { InterfaceRequests } from "../../src/technologies/interface-requests.js";
import { daemonStarters } from "../../src/technologies/registry.js";
import { waitUntil } from "../support/wait.js";

const udhcpc: UdhcpcDaemonSpec = { kind: "udhcpc", ifname: "eth0", hostname: "-not-a-name" };
const wiredSupplicant = (network: Ieee8021xConfig): WiredSupplicantSpec => ({
  kind: "wpa_supplicant",
  ifname: "eth0",
  driver: "wired",
  network,
});
const starters = daemonStarters(BUILTIN_TECHNOLOGIES);

it("reports a daemon that cannot start as the interface's failure instead of crashing", async () => {
  const server: ReportServer = {
    path: "/nonexistent/dhcp.sock",
    register: () => () => {},
    close: async () => {},
  };
  const daemons = interfaceDaemons(
    {
      ip: createIpRunner({ netns: "sn-never-created" }),
      runner: createCommandRunner({ netns: "sn-never-created" }),
      dhcpServer: server,
      handlerPath: "/nonexistent/handler",
      configDir: "/nonexistent/wpa_supplicant",
      pidDir: "/nonexistent/pids",
      portChanged: () => {},
      properties: new PropertyTable(),
      logger: silentLogger(),
      commandTimeoutMs: 1_000,
      trackStop: () => {},
      requests: new InterfaceRequests(),
    },
    starters,
  );
  const received: unknown[] = [];
  const host = setup({ actors: { daemons } }).createMachine({
    invoke: {
      src: "daemons",
      input: {
        ifname: "eth0",
        daemons: [udhcpc],
      },
    },
    on: { "*": { actions: ({ event }) => received.push(event) } },
  });
  const actor = createActor(host);
  actor.start();
  await new Promise((resolve) => setImmediate(resolve));
  expect(actor.getSnapshot().status).toBe("active");
  expect(received).toEqual([
    { type: "daemon.failed", reason: expect.stringMatching(/^udhcpc: .*hostname/) },
  ]);
  actor.stop();
});

/**
 * Stands in for wpa_supplicant (`-D wired -i eth0 -c <conf>`): announces success
 * when its config file is there, and takes 300 ms to exit on SIGTERM, as a real
 * one may on a loaded machine.
 */
const SLOW_TO_STOP_SUPPLICANT = `
trap 'kill $!; sleep 0.3; exit 0' TERM
if [ -r "$6" ]; then echo "eth0: CTRL-EVENT-EAP-SUCCESS EAP authentication completed successfully"
else echo "Failed to open config file '$6'"; exit 255; fi
sleep 30 & wait`;

it("starts an interface's new wpa_supplicant only once the old one is gone, so its cleanup spares the new one's config and state", async () => {
  const dir = await mkdtemp(join(tmpdir(), "statenet-daemons-test-"));
  const real = createCommandRunner();
  const events: string[] = [];
  const pids: Array<number | undefined> = [];
  const runner: CommandRunner = {
    ...real,
    // Nothing here touches the network: a stand-in process in this namespace.
    netns: "sn-not-used",
    spawn: (_file, args, options) => {
      const child = real.spawn(
        "sh",
        ["-c", SLOW_TO_STOP_SUPPLICANT, "wpa_supplicant", ...args],
        options,
      );
      const run = events.filter((event) => event.startsWith("start")).length + 1;
      events.push(`start ${run}`);
      pids.push(child.pid);
      child.once("exit", () => events.push(`exit ${run}`));
      return child;
    },
  };
  const properties = new PropertyTable();
  const ports: Array<boolean | undefined> = [];
  const stops: Array<Promise<void>> = [];
  const daemons = interfaceDaemons(
    {
      ip: createIpRunner({ netns: "sn-not-used" }),
      runner,
      dhcpServer: { path: join(dir, "dhcp.sock"), register: () => () => {}, close: async () => {} },
      handlerPath: "/nonexistent/handler",
      configDir: join(dir, "wpa_supplicant"),
      pidDir: join(dir, "pids"),
      portChanged: (_ifname, authorized) => ports.push(authorized),
      properties,
      logger: silentLogger(),
      commandTimeoutMs: 1_000,
      trackStop: (stopping) => stops.push(stopping),
      requests: new InterfaceRequests(),
    },
    starters,
  );
  const md5 = (password: string): Ieee8021xConfig => ({ eap: "md5", identity: "user1", password });
  const supplicant = (network: Ieee8021xConfig): DaemonsInput => ({
    ifname: "eth0",
    daemons: [wiredSupplicant(network)],
  });
  // A reconfigure: the old daemons' state is left and the new one's entered at once.
  const host = setup({ actors: { daemons } }).createMachine({
    initial: "old",
    states: {
      old: {
        invoke: { src: "daemons", input: supplicant(md5("old")) },
        on: { reconfigure: "new" },
      },
      new: { invoke: { src: "daemons", input: supplicant(md5("new")) } },
    },
  });
  const eapState = () => properties.get(["interface", "eth0", "eap", "state"]);
  const actor = createActor(host).start();
  try {
    await waitUntil("the old one authorized", () => eapState() === "authorized");
    actor.send({ type: "reconfigure" });
    await waitUntil(
      "the new one authorized",
      () => events.includes("start 2") && eapState() === "authorized",
    );
    await Promise.all(stops);

    expect(eapState()).toBe("authorized");
    expect(ports.at(-1)).toBe(true);
    const conf = join(dir, "wpa_supplicant", "eth0.conf");
    expect(existsSync(conf)).toBe(true);
    expect(await readFile(conf, "utf8")).toContain(Buffer.from("new").toString("hex"));
    const record = daemonRecordPath(join(dir, "pids"), "wpa_supplicant", "eth0");
    await waitUntil("the new one's pid record", async () =>
      existsSync(record) ? JSON.parse(await readFile(record, "utf8")).pid === pids[1] : false,
    );
    // Never two on the wire: both would answer the switch.
    expect(events.slice(0, 3)).toEqual(["start 1", "exit 1", "start 2"]);
  } finally {
    actor.stop();
    await Promise.all(stops);
    await rm(dir, { recursive: true, force: true });
  }
});
