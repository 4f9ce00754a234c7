import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runControlCommand } from "../../src/cli/control-commands.js";
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK } from "../../src/cli/exit-codes.js";
import { describeAge } from "../../src/cli/status-page.js";
import { parseConfig } from "../../src/config/validate.js";
import { controlRequest } from "../../src/control/client.js";
import { controlHandler, SecretsRefusedError } from "../../src/control/handler.js";
import type { ControlChange, TimestampedReply } from "../../src/control/protocol.js";
import {
  type ControlSession,
  createControlServer,
  onlyRootConnects,
} from "../../src/control/server.js";
import type { PrivateSocket } from "../../src/linux/private-socket.js";
import { silentLogger } from "../../src/log.js";
import { createNetworkManager, type NetworkManager } from "../../src/network-manager.js";
import { MASK } from "../../src/secrets.js";
import { noReload, testSession } from "../support/control.js";

/**
 * `info` with its secrets (VintageNet's `redact: false`), for root only, and
 * property values with when they were set, through the manager's API, the
 * control socket and the CLI. The manager is never started: its properties
 * and configurations are all these need, and nothing touches a kernel.
 */

const PSK = "correct horse battery";
const WIFI = {
  type: "wifi",
  wifi: { networks: [{ ssid: "home", keyMgmt: "wpa_psk", psk: PSK }] },
  ipv4: { method: "dhcp" },
};

const isRoot = process.geteuid?.() === 0;

function session(callerIsRoot: boolean, pushed: object[] = []): ControlSession {
  return testSession({ callerIsRoot, push: (message) => pushed.push(message) }).session;
}

let manager: NetworkManager;

beforeEach(() => {
  manager = createNetworkManager({
    config: parseConfig({ interfaces: { wlan0: WIFI } }),
    persistence: null,
  });
});

const pskIn = (info: unknown) =>
  (info as { interfaces: { wlan0: { config: typeof WIFI } } }).interfaces.wlan0.config.wifi
    .networks[0]?.psk;

describe("NetworkManager.info", () => {
  it("masks secrets by default and with redact: true; redact: false shows them", () => {
    expect(pskIn(manager.info())).toBe(MASK);
    expect(pskIn(manager.info({ redact: true }))).toBe(MASK);
    expect(pskIn(manager.info({ redact: false }))).toBe(PSK);
    // Only the secret differs: the rest is the same picture.
    const shown = manager.info({ redact: false });
    const masked = manager.info();
    expect({ ...shown, interfaces: {} }).toEqual({ ...masked, interfaces: {} });
  });
});

describe("NetworkManager.getWithTimestamp", () => {
  it("answers the value with its stamp from the property table; undefined when unset", () => {
    const before = performance.now();
    manager.properties.put(["interface", "wlan0", "state"], "configured");
    const after = performance.now();
    const found = manager.getWithTimestamp(["interface", "wlan0", "state"]);
    expect(found?.value).toBe("configured");
    expect(found?.timestamp).toBeGreaterThanOrEqual(before);
    expect(found?.timestamp).toBeLessThanOrEqual(after);
    expect(manager.getWithTimestamp(["interface", "wlan0", "nothing"])).toBeUndefined();
  });
});

describe("controlHandler: info with secrets", () => {
  it("refuses redact: false to a caller that may not be root, without asking the manager", async () => {
    const info = vi.spyOn(manager, "info");
    const handle = controlHandler(manager, noReload);
    await expect(
      Promise.resolve(handle({ command: "info", redact: false }, session(false))),
    ).rejects.toBeInstanceOf(SecretsRefusedError);
    expect(info).not.toHaveBeenCalled();
  });

  it("shows secrets to a root caller that asks, and masks them for everyone else", async () => {
    const handle = controlHandler(manager, noReload);
    expect(pskIn(await handle({ command: "info", redact: false }, session(true)))).toBe(PSK);
    expect(pskIn(await handle({ command: "info" }, session(true)))).toBe(MASK);
    expect(pskIn(await handle({ command: "info", redact: true }, session(false)))).toBe(MASK);
  });
});

describe("controlHandler: timestamps", () => {
  it("get withTimestamp: the value, its stamp and its age when the daemon answered", async () => {
    const handle = controlHandler(manager, noReload);
    manager.properties.put(["interface", "wlan0", "state"], "configured");
    const stamp = manager.getWithTimestamp(["interface", "wlan0", "state"])?.timestamp ?? NaN;
    const before = performance.now();
    const reply = (await handle(
      { command: "get", key: ["interface", "wlan0", "state"], withTimestamp: true },
      session(false),
    )) as TimestampedReply;
    const after = performance.now();
    expect(reply.value).toBe("configured");
    expect(reply.timestamp).toBe(stamp);
    expect(reply.ageMs).toBeGreaterThanOrEqual(before - stamp);
    expect(reply.ageMs).toBeLessThanOrEqual(after - stamp);
    // Without the option, the bare value as before.
    expect(
      await handle({ command: "get", key: ["interface", "wlan0", "state"] }, session(false)),
    ).toBe("configured");
  });

  it("get withTimestamp: null when unset, and secrets masked like any get", async () => {
    const handle = controlHandler(manager, noReload);
    const key = ["interface", "wlan0", "nothing"];
    expect(await handle({ command: "get", key, withTimestamp: true }, session(true))).toBeNull();
    manager.properties.put(["interface", "wlan0", "config"], WIFI);
    const reply = (await handle(
      { command: "get", key: ["interface", "wlan0", "config"], withTimestamp: true },
      session(true),
    )) as TimestampedReply;
    expect(JSON.stringify(reply)).not.toContain(PSK);
    expect(pskIn({ interfaces: { wlan0: { config: reply.value } } })).toBe(MASK);
  });

  it("a subscriber's changes carry when the old value was set and when the new one was", async () => {
    const handle = controlHandler(manager, noReload);
    const pushed: object[] = [];
    await handle({ command: "subscribe", prefix: ["interface", "wlan0"] }, session(false, pushed));
    const key = ["interface", "wlan0", "state"];
    manager.properties.put(key, "configuring");
    const first = manager.getWithTimestamp(key)?.timestamp;
    manager.properties.put(key, "configured");
    const second = manager.getWithTimestamp(key)?.timestamp;
    manager.properties.clear(key);
    const changes = pushed as ControlChange[];
    expect(changes.map(({ value, oldTimestamp }) => [value, oldTimestamp])).toEqual([
      ["configuring", null],
      ["configured", first],
      [null, second],
    ]);
    expect(changes[0]?.newTimestamp).toBe(first);
    expect(changes[1]?.newTimestamp).toBe(second);
    expect(changes[2]?.newTimestamp).toBeGreaterThanOrEqual(second ?? NaN);
  });
});

describe("who the control socket lets see secrets", () => {
  it("only a root-owned socket that nobody else may open proves its callers are root", () => {
    const SOCKET = 0o140000;
    expect(onlyRootConnects({ uid: 0, mode: SOCKET | 0o600 })).toBe(true);
    expect(onlyRootConnects({ uid: 0, mode: SOCKET | 0o700 })).toBe(true);
    // Root or the group/others could connect: the caller may be anyone.
    expect(onlyRootConnects({ uid: 0, mode: SOCKET | 0o660 })).toBe(false);
    expect(onlyRootConnects({ uid: 0, mode: SOCKET | 0o602 })).toBe(false);
    // The owner's user or root: which one cannot be told.
    expect(onlyRootConnects({ uid: 1000, mode: SOCKET | 0o600 })).toBe(false);
  });

  describe("over a real socket", () => {
    let base: string;
    let server: PrivateSocket | undefined;
    const sessions: ControlSession[] = [];

    beforeEach(async () => {
      base = await mkdtemp(join(tmpdir(), "statenet-secrets-control-"));
      sessions.length = 0;
      const handle = controlHandler(manager, noReload);
      server = await createControlServer({
        dir: join(base, "control"),
        logger: silentLogger(),
        handle: (request, current) => {
          sessions.push(current);
          return handle(request, current);
        },
      });
    });

    afterEach(async () => {
      vi.restoreAllMocks();
      await server?.close();
      await rm(base, { recursive: true, force: true });
    });

    const path = () => (server as PrivateSocket).path;

    it("a connection's caller counts as root exactly when the daemon runs as root", async () => {
      const reply = await controlRequest(path(), { command: "info", redact: false });
      expect(sessions.map((each) => each.callerIsRoot)).toEqual([isRoot]);
      if (isRoot) {
        expect(reply.ok).toBe(true);
        expect(pskIn(reply.ok && reply.result)).toBe(PSK);
      } else {
        expect(reply).toEqual({ ok: false, error: new SecretsRefusedError().message });
      }
    });

    /** Runs a CLI command against the test's socket; what it printed, and its exit code. */
    async function cli(options: { command: string; args?: string[] } & Record<string, unknown>) {
      const out: string[] = [];
      const err: string[] = [];
      vi.spyOn(process.stdout, "write").mockImplementation((text) => out.push(String(text)) > 0);
      vi.spyOn(process.stderr, "write").mockImplementation((text) => err.push(String(text)) > 0);
      try {
        const code = await runControlCommand({
          args: [],
          json: false,
          socketPath: path(),
          ...options,
        });
        return { code, out: out.join(""), err: err.join("") };
      } finally {
        vi.restoreAllMocks();
      }
    }

    it("statenet info --show-secrets: the configuration in clear for root", async () => {
      const shown = await cli({ command: "info", showSecrets: true });
      if (isRoot) {
        expect(shown.code).toBe(EXIT_OK);
        expect(shown.out).toContain(PSK);
      } else {
        expect(shown.code).toBe(EXIT_BAD_INPUT);
        expect(shown.out).not.toContain(PSK);
      }
      const masked = await cli({ command: "info" });
      expect(masked.code).toBe(EXIT_OK);
      expect(masked.out).not.toContain(PSK);
      expect(masked.out).toContain(`psk: ${MASK}`);
    });

    it("statenet info --show-secrets as another user: refused before anything is sent", async () => {
      vi.spyOn(process, "geteuid").mockReturnValue(1000);
      const shown = await cli({ command: "info", showSecrets: true });
      expect(shown).toEqual({
        code: EXIT_BAD_INPUT,
        out: "",
        err: "statenet: --show-secrets needs root\n",
      });
      expect(sessions).toEqual([]);
    });

    it("a root CLI against a daemon that cannot prove its callers are root is refused by the daemon", async () => {
      // As when the daemon runs as a service user: root may connect, but so may that user.
      await server?.close();
      const handle = controlHandler(manager, noReload);
      server = await createControlServer({
        dir: join(base, "control"),
        logger: silentLogger(),
        handle: (request, current) => handle(request, { ...current, callerIsRoot: false }),
      });
      vi.spyOn(process, "geteuid").mockReturnValue(0);
      const shown = await cli({ command: "info", showSecrets: true });
      expect(shown.code).toBe(EXIT_FAILURE);
      expect(shown.out).toBe("");
      expect(shown.err).toBe(`statenet: ${new SecretsRefusedError().message}\n`);
    });

    it("--show-secrets and --timestamp belong to info and get only", async () => {
      expect(await cli({ command: "get", args: ["connection"], showSecrets: true })).toMatchObject({
        code: EXIT_BAD_INPUT,
        err: "statenet: --show-secrets is an option of info only\n",
      });
      expect(await cli({ command: "info", withTimestamp: true })).toMatchObject({
        code: EXIT_BAD_INPUT,
        err: "statenet: --timestamp is an option of get only\n",
      });
      expect(sessions).toEqual([]);
    });

    it("statenet get KEY --timestamp: the value, then how long ago it was set", async () => {
      manager.properties.put(["interface", "wlan0", "state"], "configured");
      const shown = await cli({
        command: "get",
        args: ["interface/wlan0/state"],
        withTimestamp: true,
      });
      expect(shown.code).toBe(EXIT_OK);
      expect(shown.out).toMatch(/^"configured"\n\(set \d+ ms ago\)\n$/);
      const json = await cli({
        command: "get",
        args: ["interface/wlan0/state"],
        withTimestamp: true,
        json: true,
      });
      const reply = JSON.parse(json.out) as {
        value: unknown;
        timestamp: number;
        age_ms: number;
        set_at: string;
      };
      expect(reply.value).toBe("configured");
      expect(reply.timestamp).toBe(
        manager.getWithTimestamp(["interface", "wlan0", "state"])?.timestamp,
      );
      expect(reply.age_ms).toBeGreaterThanOrEqual(0);
      expect(Date.now() - Date.parse(reply.set_at)).toBeGreaterThanOrEqual(0);
      // Nothing there is no value: exit 1, saying so.
      const unset = await cli({ command: "get", args: ["nothing"], withTimestamp: true });
      expect(unset).toEqual({
        code: EXIT_FAILURE,
        out: "",
        err: "statenet: no property nothing\n",
      });
    });
  });
});

describe("describeAge", () => {
  it.each([
    [0, "0 ms"],
    [849.6, "850 ms"],
    [1_000, "1.0 s"],
    [12_345, "12.3 s"],
    [59_999, "59.9 s"],
    [60_000, "1 min 00 s"],
    [245_000, "4 min 05 s"],
    [3_600_000, "1 h 00 min"],
    [10_920_000, "3 h 02 min"],
    [190_800_000, "2 d 5 h"],
  ])("%d ms reads %j", (ms, text) => {
    expect(describeAge(ms)).toBe(text);
  });
});
