import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lab } from "../../lab/namespace-lab.js";
import { requireVmLab } from "../../lab/vm/in-vm.js";
import { processExit, terminate } from "../../src/linux/terminate.js";
import type { NetworkManager } from "../../src/network-manager.js";
import { captureLogs } from "../support/capture-logs.js";
import { type LabManager, startLabManager } from "../support/lab-manager.js";
import { waitUntil } from "../support/wait.js";

requireVmLab();

const AT_MODEM = new URL("../technologies/fixtures/at-modem.mjs", import.meta.url).pathname;
const APN = "lab.apn";
const INTERNET_HOST = "203.0.113.53";
/** The carrier's end: the lab router's own address, which routes on to the Internet host. */
const PEER_ADDRESS = "192.0.2.1";
/** What the carrier hands out by IPCP: inside the router's network, so the Internet host's replies come back. */
const DEVICE_ADDRESS = "192.0.2.50";
/** TCG makes every step slow: generous limits, and only conditions are waited for. */
const LINK_TIMEOUT_MS = 150_000;

/**
 * A PPP modem on a real kernel (ppp_async): a pty pair (socat) is the serial
 * line; on its far end a carrier's pppd runs in the lab router's namespace,
 * its connect program a simulated AT modem (fixtures/at-modem.mjs) that
 * records the APN and answers the dial with CONNECT. statenet, in the
 * device namespace, dials through the pty with its chat script and pppd.
 */
describe("mobile: a PPP modem on a serial line, in the VM lab", () => {
  let lab: Lab;
  let dir: string;
  let running: LabManager | undefined;
  let manager: NetworkManager;
  let carrier: ResultPromise | undefined;
  const children: ResultPromise[] = [];
  const logs = captureLogs("debug");
  const connections: unknown[] = [];

  const spawn = (argv: readonly string[], log: string) => {
    const child = execa(argv[0] as string, argv.slice(1), {
      stdin: "ignore",
      stdout: { file: join(dir, log) },
      stderr: { file: join(dir, log) },
      reject: false,
    });
    children.push(child);
    return child;
  };

  /** The carrier's pppd: it answers on the far end of the line and hands out DEVICE_ADDRESS. */
  const startCarrier = () => {
    carrier = spawn(
      [
        ...["ip", "netns", "exec", lab.uplink("veth0").routerNs],
        ...["pppd", join(dir, "line"), "115200", "nodetach", "local", "noauth", "nolock"],
        ...["connect", `${process.execPath} ${AT_MODEM} ${join(dir, "apn")}`],
        ...[`${PEER_ADDRESS}:${DEVICE_ADDRESS}`, "ms-dns", PEER_ADDRESS, "noipv6"],
        ...["ip-up-script", "/bin/true", "ip-down-script", "/bin/true"],
      ],
      `carrier-${children.length}.log`,
    );
  };

  const stopCarrier = async () => {
    const child = carrier;
    carrier = undefined;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      await terminate(child.pid, processExit(child));
    }
  };

  const connection = () => manager.get(["interface", "ppp0", "connection"]);
  const defaultRoutes = async () => {
    const { stdout } = await execa("ip", ["-n", lab.deviceNs, "-j", "route", "show", "default"]);
    return JSON.parse(stdout || "[]") as Array<{ dev: string; gateway?: string; metric?: number }>;
  };
  const ppp0Address = async () => {
    const { stdout } = await execa("ip", ["-n", lab.deviceNs, "-j", "addr", "show"]);
    const links = JSON.parse(stdout || "[]") as Array<{
      ifname: string;
      addr_info: Array<{ family: string; local: string; address?: string }>;
    }>;
    return links
      .find((link) => link.ifname === "ppp0")
      ?.addr_info.find((info) => info.family === "inet");
  };
  /** What the device namespace holds, for a wait that failed. */
  const diagnose = async (error: unknown) => {
    for (const args of [["route", "show", "table", "all"], ["rule"], ["-s", "addr"]]) {
      const { all } = await execa("ip", ["-n", lab.deviceNs, ...args], {
        reject: false,
        all: true,
      });
      console.log(`==== ip ${args.join(" ")}\n${all}`);
    }
    const notable = logs.lines.filter(
      (line) => Number(line.level) >= 40 || /route|probe|connectivity/i.test(String(line.msg)),
    );
    console.log(notable.map((line) => JSON.stringify(line)).join("\n"));
    throw error;
  };
  const dialledApns = async () =>
    (await readFile(join(dir, "apn"), "utf8").catch(() => "")).split("\n").filter(Boolean);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "statenet-ppp-"));
    await execa("modprobe", ["ppp_async"]);
    // The uplink is only the router's namespace with its way to the Internet host.
    lab = await Lab.create({
      uplinks: [{ ifname: "veth0", network: "192.0.2.0/24" }],
      internetHosts: [INTERNET_HOST],
    });
    spawn(
      [
        "socat",
        `pty,raw,echo=0,link=${join(dir, "modem")}`,
        `pty,raw,echo=0,link=${join(dir, "line")}`,
      ],
      "socat.log",
    );
    await waitUntil(
      "the pty pair",
      () => existsSync(join(dir, "modem")) && existsSync(join(dir, "line")),
      60_000,
      50,
    );
    startCarrier();
    running = await startLabManager(
      lab,
      {
        interfaces: {
          ppp0: {
            type: "mobile",
            mobile: {
              modem: {
                provider: "ppp",
                device: join(dir, "modem"),
                speed: 115_200,
                chatTimeoutSeconds: 15,
              },
              serviceProviders: [{ apn: APN }],
              retryDelayMs: 500,
              maxRetryDelayMs: 4_000,
            },
            // Under TCG a spawned `ip route get` alone can take a second: probes get time.
            connectivity: { intervalMs: 2_000, timeoutMs: 10_000, lanIntervalMs: 2_000 },
          },
        },
        internetHosts: [{ host: INTERNET_HOST, port: 53 }],
      },
      { logger: logs.logger },
    );
    manager = running.manager;
    manager.properties.subscribe(["interface", "ppp0", "connection"], (change) => {
      connections.push(change.new);
    });
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
    for (const child of children.reverse()) {
      const alive = child.exitCode === null && child.signalCode === null;
      if (child.pid !== undefined && alive) await terminate(child.pid, processExit(child));
    }
    await lab?.teardown();
    for (const log of ["carrier-1.log", "carrier-2.log"]) {
      console.log(`==== ${log}\n${await readFile(join(dir, log), "utf8").catch(() => "(none)")}`);
    }
    const ppp = logs.lines.filter((line) => line.component === "pppd" || line.ifname === "ppp0");
    console.log(ppp.map((line) => JSON.stringify(line)).join("\n"));
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it(
    "dials the APN, takes the IPCP address, and routes to the Internet through ppp0 with the mobile metric",
    async () => {
      await waitUntil(
        "ppp0 connected to the Internet",
        () => connection() === "internet",
        LINK_TIMEOUT_MS,
        200,
      ).catch(diagnose);
      expect(await dialledApns()).toEqual([APN]);
      expect(await ppp0Address()).toMatchObject({ local: DEVICE_ADDRESS, address: PEER_ADDRESS });
      const routes = await waitUntil(
        "the default route on ppp0",
        async () => {
          const found = (await defaultRoutes()).filter((route) => route.dev === "ppp0");
          return found.length > 0 && found;
        },
        30_000,
        200,
      );
      // Mobile with Internet ranks third (metrics 30..39), after wired and WiFi.
      expect(routes).toEqual([
        expect.objectContaining({ gateway: PEER_ADDRESS, metric: expect.any(Number) }),
      ]);
      const metric = routes[0]?.metric ?? 0;
      expect(metric).toBeGreaterThanOrEqual(30);
      expect(metric).toBeLessThan(40);
      expect(manager.get(["interface", "ppp0", "mobile", "state"])).toBe("connected");
      const ping = await execa("ip", [
        ...["netns", "exec", lab.deviceNs],
        ...["busybox", "ping", "-c", "1", "-W", "5", INTERNET_HOST],
      ]);
      expect(ping.exitCode).toBe(0);
    },
    LINK_TIMEOUT_MS + 60_000,
  );

  it(
    "loses the link and its route when the carrier hangs up, then redials",
    async () => {
      const before = connections.length;
      await stopCarrier();
      await waitUntil(
        "ppp0 disconnected",
        () => connections.slice(before).includes("disconnected"),
        60_000,
        100,
      );
      await waitUntil(
        "no default route on ppp0",
        async () => !(await defaultRoutes()).some((route) => route.dev === "ppp0"),
        30_000,
        100,
      );
      // statenet dials again at once and then with backoff while nobody answers.
      await waitUntil(
        "a redial that finds no carrier",
        () =>
          logs.lines.some((line) => line.msg === "modem connect failed" && line.ifname === "ppp0"),
        LINK_TIMEOUT_MS,
        200,
      );
      startCarrier();
      await waitUntil(
        "ppp0 back on the Internet",
        () => connection() === "internet",
        LINK_TIMEOUT_MS,
        200,
      );
      expect(await dialledApns()).toEqual([APN, APN]);
      expect(await ppp0Address()).toMatchObject({ local: DEVICE_ADDRESS });
      await waitUntil(
        "the default route on ppp0 again",
        async () => (await defaultRoutes()).some((route) => route.dev === "ppp0"),
        30_000,
        200,
      );
    },
    2 * LINK_TIMEOUT_MS + 120_000,
  );
});
