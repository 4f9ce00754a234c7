import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CommandRunner } from "../../src/linux/command-runner.js";
import { mobile } from "../../src/technologies/mobile/index.js";
import { IpcpLog } from "../../src/technologies/mobile/ipcp-log.js";
import {
  APN_FIELD,
  chatScript,
  contextCommand,
  PppConfigError,
  pppdOptions,
  pppdWord,
} from "../../src/technologies/mobile/ppp-files.js";
import {
  PppConnectError,
  type PppModemOptions,
  pppPaths,
  pppProvider,
} from "../../src/technologies/mobile/ppp-provider.js";
import type { ModemSession } from "../../src/technologies/mobile/provider.js";
import { captureLogs } from "../support/capture-logs.js";
import { waitUntil } from "../support/wait.js";

const FAKE_PPPD = new URL("./fixtures/fake-pppd.mjs", import.meta.url).pathname;

/** The send string of the chat script's AT+CGDCONT line, unquoted as chat reads a '…' word. */
function dialledContext(script: string): string | undefined {
  const line = script.split("\n").find((candidate) => candidate.includes("CGDCONT"));
  return line === undefined ? undefined : /^OK '([^'\\^]*)'$/.exec(line)?.[1];
}

/** A pppd options-file word as pppd reads it: "…" with \\ and \" escapes. */
function readPppdWord(word: string): string | undefined {
  const match = /^"((?:[^"\\]|\\.)*)"$/s.exec(word);
  return match?.[1]?.replace(/\\(.)/gs, "$1");
}

const APN_LABEL = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$/);

describe("the chat script", () => {
  it("wakes and resets the modem, sets context 1 to the APN and dials *99***1#", () => {
    const script = chatScript({ apn: "internet.lab", timeoutSeconds: 30 });
    const words = script
      .split("\n")
      .filter((line) => line && !line.startsWith("#"))
      .slice(4);
    expect(words).toEqual([
      "ABORT 'ERROR'",
      "TIMEOUT 30",
      "REPORT CONNECT",
      "'' '+++'",
      "'' 'AT'",
      "OK 'ATZ'",
      "OK 'ATE0'",
      `OK 'AT+CGDCONT=1,"IP","internet.lab"'`,
      "OK 'ATD*99***1#'",
      "CONNECT ''",
    ]);
    expect(script.startsWith("# Written by statenet")).toBe(true);
    expect(script).toContain("ABORT 'NO CARRIER'");
  });

  it("writes every APN the config accepts verbatim into one quoted AT+CGDCONT word", () => {
    fc.assert(
      fc.property(fc.array(APN_LABEL, { minLength: 1, maxLength: 4 }), (labels) => {
        const apn = labels.join(".").slice(0, 100);
        fc.pre(/[A-Za-z0-9_-]$/.test(apn));
        const config = mobile.schema.safeParse({
          type: "mobile",
          mobile: {
            serviceProviders: [{ apn }],
            modem: { provider: "ppp", device: "/dev/ttyUSB2" },
          },
        });
        expect(config.success).toBe(true);
        const script = chatScript({ apn, timeoutSeconds: 10 });
        expect(dialledContext(script)).toBe(`AT+CGDCONT=1,"IP","${apn}"`);
      }),
    );
  });

  it("refuses, naming the field, any APN that could break out of the AT string or the chat word", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (apn) => {
        let script: string;
        try {
          script = chatScript({ apn, timeoutSeconds: 10 });
        } catch (error) {
          expect(error).toBeInstanceOf(PppConfigError);
          expect((error as PppConfigError).field).toBe(APN_FIELD);
          expect((error as Error).message.startsWith(`${APN_FIELD}: `)).toBe(true);
          return;
        }
        // Accepted: the script has its fixed shape, and the APN sits whole inside the quotes.
        expect(script.split("\n")).toHaveLength(
          chatScript({ apn: "a", timeoutSeconds: 10 }).split("\n").length,
        );
        expect(dialledContext(script)).toBe(`AT+CGDCONT=1,"IP","${apn}"`);
        expect(apn).not.toMatch(/["'\\^\s\0]/);
      }),
    );
    expect(() => contextCommand('lab"; ATH')).toThrow(`${APN_FIELD}: may hold only`);
    expect(() => contextCommand("")).toThrow(`${APN_FIELD}: must not be empty`);
    expect(() => chatScript({ apn: "lab", timeoutSeconds: 0 })).toThrow(
      "mobile.modem.chatTimeoutSeconds: must be a positive integer",
    );
  });
});

describe("pppd's options", () => {
  const options = pppdOptions({
    ifname: "ppp0",
    device: "/dev/ttyUSB2",
    speed: 115_200,
    chatPath: "/run/statenet/ppp-ppp0.chat",
  });
  const lines = options.split("\n").filter((line) => line && !line.startsWith("#"));

  it("dial with chat, stay in the foreground, and leave routes and DNS files to statenet", () => {
    expect(lines.slice(0, 3)).toEqual([
      "/dev/ttyUSB2",
      "115200",
      `connect "chat -v -s -S -f '/run/statenet/ppp-ppp0.chat'"`,
    ]);
    for (const option of [
      "nodetach",
      "noauth",
      "nodefaultroute",
      "noipdefault",
      "usepeerdns",
      "ifname ppp0",
      "linkname ppp0",
      "ipparam ppp0",
      "ip-up-script /bin/true",
      "ip-down-script /bin/true",
    ]) {
      expect(lines).toContain(option);
    }
    // statenet redials itself and owns the default route.
    expect(lines).not.toContain("persist");
    expect(lines).not.toContain("defaultroute");
    expect(lines).not.toContain("updetach");
  });

  it("quote words so that pppd reads them back exactly", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        fc.pre(!/[\0\n\r]/.test(text));
        expect(readPppdWord(pppdWord(text))).toBe(text);
      }),
    );
    expect(() => pppdWord("a\nnoauth")).toThrow(TypeError);
  });

  it("name the field of a device pppd would misread", () => {
    expect(() =>
      pppdOptions({ ifname: "ppp0", device: "ttyUSB2", speed: 9600, chatPath: "/x" }),
    ).toThrow("mobile.modem.device: must be an absolute path");
  });
});

describe("the ppp modem's config", () => {
  const parse = (modem: Record<string, unknown>) =>
    mobile.schema.safeParse({
      type: "mobile",
      mobile: { serviceProviders: [{ apn: "lab.apn" }], modem },
    });

  it("takes a serial port and speed, and plans an interface that pppd creates", () => {
    const result = parse({ provider: "ppp", device: "/dev/ttyUSB2", speed: 115_200 });
    expect(result.success).toBe(true);
    const config = result.data as Parameters<typeof mobile.plan>[1];
    expect(config.mobile.modem).toEqual({
      provider: "ppp",
      device: "/dev/ttyUSB2",
      speed: 115_200,
      chatTimeoutSeconds: 60,
      connectTimeoutMs: 180_000,
    });
    const plan = mobile.plan("ppp0", config);
    expect(plan).toMatchObject({ up: [], down: [], createsInterface: true, routeClass: "mobile" });
    expect(plan.daemons).toEqual([
      expect.objectContaining({
        kind: "mobile",
        ifname: "ppp0",
        serviceProvider: { apn: "lab.apn" },
      }),
    ]);
    // A netdev modem's interface exists already: its plan waits for it and sets the link up.
    const netdev = mobile.schema.parse({
      type: "mobile",
      mobile: {
        serviceProviders: [{ apn: "lab.apn" }],
        modem: { provider: "netdev", connect: [["true"]] },
      },
    });
    expect(mobile.plan("wwan0", netdev).createsInterface).toBeUndefined();
  });

  it("names the field that is wrong", () => {
    const issues = (modem: Record<string, unknown>) =>
      parse(modem).error?.issues.map((issue) => [issue.path.join("."), issue.message]);
    expect(issues({ provider: "ppp" })).toEqual([
      ["mobile.modem.device", "required: the modem's serial port, e.g. /dev/ttyUSB2"],
    ]);
    expect(issues({ provider: "ppp", device: "/dev/tty USB" })).toEqual([
      ["mobile.modem.device", "must be an absolute path without spaces, quotes or backslashes"],
    ]);
    expect(issues({ provider: "ppp", device: "/dev/ttyUSB2", speed: 115_201 })?.[0]?.[0]).toBe(
      "mobile.modem.speed",
    );
    expect(issues({ provider: "ppp", device: "/dev/ttyUSB2", persist: true })?.[0]?.[1]).toMatch(
      /persist/,
    );
  });
});

describe("IPCP from pppd's log", () => {
  it("gives a /32 with the peer as gateway and the carrier's DNS servers", () => {
    const log = new IpcpLog();
    const lines = [
      "Serial connection established.",
      "Using interface ppp0",
      "local  IP address 192.0.2.50",
      "remote IP address 192.0.2.1",
      "primary   DNS address 192.0.2.1",
    ];
    expect(lines.map((line) => log.read(line))).toEqual([false, false, true, true, true]);
    expect(log.complete).toBe(true);
    expect(log.finished).toBe(false);
    expect(log.settings()).toEqual({
      addresses: [{ address: "192.0.2.50", prefixLength: 32 }],
      gateway: "192.0.2.1",
      nameServers: ["192.0.2.1"],
    });
    expect(log.read("secondary DNS address 192.0.2.2")).toBe(true);
    expect(log.finished).toBe(true);
    expect(new IpcpLog().settings()).toBeUndefined();
    expect(new IpcpLog().read("local  IP address 999.0.0.1")).toBe(false);
  });
});

describe("the ppp provider with a stand-in pppd", () => {
  let dir: string;
  const spawned: string[][] = [];
  const runner: CommandRunner = {
    netns: "sn-ppp-unit-test",
    run: async () => {
      throw new Error("not used");
    },
    spawn: (file, args, { env }) => {
      spawned.push([file, ...args]);
      if (file !== "pppd") throw new Error(`unexpected ${file}`);
      return execa(process.execPath, [FAKE_PPPD, ...args], {
        env,
        extendEnv: false,
        stdin: "ignore",
        buffer: false,
        reject: false,
      });
    },
    sysctl: async () => {},
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "statenet-ppp-unit-"));
    spawned.length = 0;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const session = (
    device: string,
    logs = captureLogs("debug"),
    signal = new AbortController().signal,
  ): ModemSession<PppModemOptions> => ({
    ifname: "ppp0",
    options: {
      provider: "ppp",
      device,
      speed: 115_200,
      chatTimeoutSeconds: 5,
      connectTimeoutMs: 10_000,
    },
    serviceProvider: { apn: "lab.apn" },
    run: async () => "",
    signal,
    logger: logs.logger,
    publish: () => {},
    runner,
    configDir: join(dir, "run"),
    pidDir: join(dir, "pids"),
  });

  it("writes its files, runs pppd with them, reports IPCP, and on disconnect stops pppd and removes them", async () => {
    const ok = session("/dev/ok");
    const connection = await pppProvider.connect(ok);
    expect(connection).toEqual({
      addressing: "reported",
      settings: {
        addresses: [{ address: "203.0.113.10", prefixLength: 32 }],
        gateway: "203.0.113.1",
        nameServers: ["198.51.100.53", "198.51.100.54"],
      },
    });
    const paths = pppPaths(ok.configDir, "ppp0");
    expect(spawned).toEqual([["pppd", "file", paths.options]]);
    expect(await readFile(paths.chat, "utf8")).toContain(`AT+CGDCONT=1,"IP","lab.apn"`);
    expect(await readFile(paths.options, "utf8")).toContain("/dev/ok\n115200\n");
    await waitUntil("the pid record", () => existsSync(join(ok.pidDir, "pppd-ppp0.pid.json")));
    await pppProvider.disconnect(ok);
    expect(existsSync(paths.chat) || existsSync(paths.options)).toBe(false);
    expect(existsSync(join(ok.pidDir, "pppd-ppp0.pid.json"))).toBe(false);
  });

  it("reports a link without DNS servers once IPCP's lines are over", async () => {
    const nodns = session("/dev/nodns");
    const connection = await pppProvider.connect(nodns);
    expect(connection).toMatchObject({ settings: { nameServers: [], gateway: "203.0.113.1" } });
    await pppProvider.disconnect(nodns);
  });

  it("fails the connect with pppd's reason when it exits before IPCP", async () => {
    const busy = session("/dev/busy");
    const failure = pppProvider.connect(busy);
    await expect(failure).rejects.toBeInstanceOf(PppConnectError);
    await expect(failure).rejects.toThrow(
      "pppd on ppp0: exited with 8 (the connect script (chat) failed",
    );
  });

  it("logs a hang-up after IPCP as the link going down", async () => {
    const logs = captureLogs("debug");
    const hangup = session("/dev/hangup", logs);
    await expect(pppProvider.connect(hangup)).resolves.toMatchObject({ addressing: "reported" });
    await waitUntil("the hang-up", () =>
      logs.lines.some(
        (line) =>
          line.msg === "PPP link down" && /16 \(the modem hung up\)/.test(String(line.reason)),
      ),
    );
    await pppProvider.disconnect(hangup);
  });

  it("gives up when the interface stops during the dial, leaving no pppd behind", async () => {
    const abort = new AbortController();
    const slow = session("/dev/ok", captureLogs("debug"), abort.signal);
    abort.abort();
    await expect(pppProvider.connect(slow)).rejects.toThrow();
    expect(spawned).toEqual([]);
  });
});
