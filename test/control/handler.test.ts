import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { controlRequest } from "../../src/control/client.js";
import { type ControlledManager, controlHandler } from "../../src/control/handler.js";
import { createControlServer } from "../../src/control/server.js";
import type { PrivateSocket } from "../../src/linux/private-socket.js";
import { silentLogger } from "../../src/log.js";
import type { NetworkManagerInfo } from "../../src/network-manager.js";
import { UnavailableRequestError } from "../../src/technologies/interface-requests.js";
import type { AccessPoint } from "../../src/technologies/wifi/wpa-events.js";
import { managerAnswering, noReload, testSession } from "../support/control.js";
import { waitUntil } from "../support/wait.js";

const AP: AccessPoint = {
  bssid: "02:00:00:00:01:00",
  ssid: "lab",
  frequency: 2437,
  band: "2.4 GHz",
  channel: 6,
  signalDbm: -52,
  signalPercent: 88,
  flags: ["WPA2-PSK-CCMP", "ESS"],
};

const INFO = { interfaces: {} } as unknown as NetworkManagerInfo;

type FakeManager = ControlledManager & { scanned: string[]; infoCalls: number };

/** A manager that answers info and scans; the tests ask it nothing else. */
function fakeManager(scan: ControlledManager["scan"]): FakeManager {
  const scanned: string[] = [];
  const manager: FakeManager = Object.assign(
    managerAnswering({
      info: () => {
        manager.infoCalls += 1;
        return INFO;
      },
      scan: (ifname) => {
        scanned.push(ifname);
        return scan(ifname);
      },
    }),
    { scanned, infoCalls: 0 },
  );
  return manager;
}

const { session } = testSession();

/** A promise the test settles. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

describe("controlHandler: wifi_scan", () => {
  it("asks the manager to scan the named interface and answers with what it found", async () => {
    const manager = fakeManager(async () => [AP]);
    const handle = controlHandler(manager, noReload);
    expect(await handle({ command: "wifi_scan", ifname: "wlan1" }, session)).toEqual([AP]);
    expect(manager.scanned).toEqual(["wlan1"]);
  });

  it("passes on a request nothing on the interface serves as it is", async () => {
    const unavailable = new UnavailableRequestError("eth0", "wifi.scan");
    const handle = controlHandler(
      fakeManager(() => Promise.reject(unavailable)),
      noReload,
    );
    const failure = await Promise.resolve(
      handle({ command: "wifi_scan", ifname: "eth0" }, session),
    ).catch((error: unknown) => error);
    expect(failure).toBe(unavailable);
  });

  it("leaves any other failure (a scan that times out) the daemon's", async () => {
    const timeout = new Error("wlan0: no scan results within 30000 ms");
    const handle = controlHandler(
      fakeManager(() => Promise.reject(timeout)),
      noReload,
    );
    await expect(
      Promise.resolve(handle({ command: "wifi_scan", ifname: "wlan0" }, session)),
    ).rejects.toBe(timeout);
  });
});

describe("wifi_scan over the control socket", () => {
  let base: string;
  let server: PrivateSocket | undefined;
  let manager: ReturnType<typeof fakeManager>;
  let pendingScan: ReturnType<typeof deferred<AccessPoint[]>>;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), "statenet-wifi-scan-control-"));
    pendingScan = deferred<AccessPoint[]>();
    manager = fakeManager((ifname) => {
      if (ifname === "wlan0") return pendingScan.promise;
      if (ifname === "wlan1") return Promise.reject(new Error("wlan1: WiFi stopped"));
      return Promise.reject(new UnavailableRequestError(ifname, "wifi.scan"));
    });
    server = await createControlServer({
      dir: join(base, "control"),
      logger: silentLogger(),
      handle: controlHandler(manager, noReload),
    });
  });

  afterEach(async () => {
    await server?.close();
    await rm(base, { recursive: true, force: true });
  });

  const path = () => (server as PrivateSocket).path;

  it("replies unavailable for an interface that runs no WiFi, and no code for the daemon's failure", async () => {
    expect(await controlRequest(path(), { id: 1, command: "wifi_scan", ifname: "eth0" })).toEqual({
      id: 1,
      ok: false,
      error: "eth0: nothing running serves wifi.scan (is it configured for it, and up?)",
      code: "unavailable",
    });
    expect(await controlRequest(path(), { command: "wifi_scan", ifname: "wlan1" })).toEqual({
      ok: false,
      error: "wlan1: WiFi stopped",
    });
  });

  it("answers other clients while a scan runs", async () => {
    const scanning = controlRequest(path(), { id: "scan", command: "wifi_scan", ifname: "wlan0" });
    await waitUntil("the scan asked for", () => manager.scanned.length === 1);
    expect(await controlRequest(path(), { id: "other", command: "info" })).toEqual({
      id: "other",
      ok: true,
      result: INFO,
    });
    pendingScan.resolve([AP]);
    expect(await scanning).toEqual({ id: "scan", ok: true, result: [AP] });
  });

  it("on the scan's own connection, works on the next request at once but replies in order", async () => {
    const socket = net.createConnection(path());
    const replies: Array<{ id?: unknown }> = [];
    let pending = "";
    socket.on("data", (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) replies.push(JSON.parse(line) as { id?: unknown });
    });
    socket.write(`${JSON.stringify({ id: "scan", command: "wifi_scan", ifname: "wlan0" })}\n`);
    socket.write(`${JSON.stringify({ id: "info", command: "info" })}\n`);
    await waitUntil("info answered by the manager", () => manager.infoCalls === 1);
    expect(manager.scanned).toEqual(["wlan0"]);
    expect(replies).toEqual([]);
    pendingScan.resolve([AP]);
    await waitUntil("both replies", () => replies.length === 2);
    expect(replies.map((reply) => reply.id)).toEqual(["scan", "info"]);
    socket.destroy();
  });
});
