import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlledManager, controlHandler } from "../../src/control/handler.js";
import { createControlServer } from "../../src/control/server.js";
import type { PrivateSocket } from "../../src/linux/private-socket.js";
import { silentLogger } from "../../src/log.js";
import { UnavailableRequestError } from "../../src/technologies/interface-requests.js";
import type { AccessPoint } from "../../src/technologies/wifi/wpa-events.js";
import { managerAnswering, noReload } from "../support/control.js";
import { statenetFromSource } from "../support/statenet-cli.js";

/**
 * `statenet wifi scan` from the command line (the CLI's source, run with
 * tsx) against a control socket served by the daemon's handler over a fake
 * manager: no radio, no root.
 */

const FOUND: AccessPoint[] = [
  {
    bssid: "02:00:00:00:00:01",
    ssid: "home",
    frequency: 2437,
    band: "2.4 GHz",
    channel: 6,
    signalDbm: -67,
    signalPercent: 70,
    flags: ["WPA2-PSK-CCMP", "ESS"],
  },
  {
    bssid: "02:00:00:00:00:02",
    ssid: "\x1b[2Jgotcha",
    frequency: 5180,
    band: "5 GHz",
    channel: 36,
    signalDbm: -48,
    signalPercent: 98,
    flags: ["RSN-SAE+PSK-CCMP", "ESS"],
  },
  {
    bssid: "02:00:00:00:00:03",
    ssid: "\u202eevil\x9b",
    frequency: 2412,
    band: "2.4 GHz",
    channel: 1,
    signalDbm: -80,
    signalPercent: 45,
    flags: ["WEP", "ESS"],
  },
];

/** Longer than the CLI's usual 10 s reply timeout: a real scan may take that long. */
const SLOW_SCAN_MS = 11_000;

function fakeManager(): ControlledManager {
  return managerAnswering({
    scan: async (ifname) => {
      if (ifname === "wlan0") return FOUND;
      if (ifname === "wlan1") throw new Error("wlan1: no scan results within 30000 ms");
      if (ifname === "wlan2") {
        await new Promise((resolve) => setTimeout(resolve, SLOW_SCAN_MS));
        return FOUND.slice(0, 1);
      }
      throw new UnavailableRequestError(ifname, "wifi.scan");
    },
  });
}

/** Each run starts node and tsx: seconds on a busy 2-core machine. */
describe("statenet wifi scan", { timeout: 60_000 }, () => {
  let base: string;
  let server: PrivateSocket | undefined;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "statenet-wifi-scan-cli-"));
    server = await createControlServer({
      dir: join(base, "control"),
      logger: silentLogger(),
      handle: controlHandler(fakeManager(), noReload),
    });
  });

  afterAll(async () => {
    await server?.close();
    await rm(base, { recursive: true, force: true });
  });

  const statenet = (...args: string[]) => statenetFromSource(args);
  const scan = (...args: string[]) =>
    statenet("wifi", "scan", ...args, "--socket", (server as PrivateSocket).path);

  it("prints the access points as a table, strongest first, SSIDs escaped", async () => {
    const result = await scan("wlan0");
    expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({
      exitCode: 0,
      stderr: "",
    });
    expect(result.stdout.split("\n")).toEqual([
      "BSSID              CH  BAND           SIGNAL  SECURITY  SSID",
      "02:00:00:00:00:02  36  5 GHz    -48 dBm  98%  WPA3-SAE  \\e[2Jgotcha",
      "02:00:00:00:00:01   6  2.4 GHz  -67 dBm  70%  WPA2-PSK  home",
      "02:00:00:00:00:03   1  2.4 GHz  -80 dBm  45%  WEP       \\u{202e}evil\\x9b",
    ]);
  });

  it("prints the daemon's array with --json, keys in snake_case, as safe on a terminal", async () => {
    const result = await scan("wlan0", "--json");
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(
      FOUND.map(({ signalDbm, signalPercent, ...point }) => ({
        ...point,
        signal_dbm: signalDbm,
        signal_percent: signalPercent,
      })),
    );
    expect(result.stdout).not.toMatch(/[\p{Cc}\p{Cf}]/u);
  });

  it("exits 2 with the daemon's words for an interface that runs no WiFi", async () => {
    const message = "eth0: nothing running serves wifi.scan (is it configured for it, and up?)";
    const [text, json] = await Promise.all([scan("eth0"), scan("eth0", "--json")]);
    expect({ exitCode: text?.exitCode, stdout: text?.stdout, stderr: text?.stderr }).toEqual({
      exitCode: 2,
      stdout: "",
      stderr: `statenet: ${message}`,
    });
    // With --json, the failure is JSON on stdout, with the same exit code.
    expect({ exitCode: json?.exitCode, stdout: json?.stdout, stderr: json?.stderr }).toEqual({
      exitCode: 2,
      stdout: JSON.stringify({ ok: false, error: { code: "unavailable", message } }),
      stderr: "",
    });
  });

  it("exits 1 when the scan fails in the daemon", async () => {
    const result = await scan("wlan1");
    expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({
      exitCode: 1,
      stderr: "statenet: wlan1: no scan results within 30000 ms",
    });
  });

  it("waits for a scan that takes longer than other requests may", async () => {
    const result = await scan("wlan2");
    expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({
      exitCode: 0,
      stderr: "",
    });
    expect(result.stdout).toContain("02:00:00:00:00:01");
  });

  it("exits 2 on a bad command line, saying what is wrong", async () => {
    const cases: Array<[string[], string]> = [
      [["wifi"], "statenet: wifi needs a command: scan"],
      [["wifi", "connect", "wlan0"], 'statenet: unknown wifi command "connect"'],
      [["wifi", "scan", "wlan0", "wlan1"], "statenet: wifi scan needs one IFNAME"],
      [["wifi_scan", "wlan0"], 'statenet: unknown command "wifi_scan"'],
    ];
    const results = await Promise.all(cases.map(([args]) => statenet(...args)));
    for (const [index, [args, message]] of cases.entries()) {
      const result = results[index];
      expect({ args, exitCode: result?.exitCode }).toEqual({ args, exitCode: 2 });
      expect(result?.stderr.split("\n")[0]).toBe(message);
      // A command line that is not one: the help is pointed at, not printed.
      if (!message.includes("IFNAME")) {
        const help = args[0] === "wifi" ? "statenet wifi --help" : "statenet --help";
        expect(result?.stderr.split("\n").slice(1)).toEqual([`Try '${help}'.`]);
      }
    }
  });
});
