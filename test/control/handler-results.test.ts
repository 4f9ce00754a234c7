import { beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/validate.js";
import { controlHandler } from "../../src/control/handler.js";
import type { ControlSession } from "../../src/control/server.js";
import { createNetworkManager, type NetworkManager } from "../../src/network-manager.js";
import { MASK } from "../../src/secrets.js";
import { noReload, testSession } from "../support/control.js";

/**
 * What the handler answers the CLI beyond the bare value: subtrees, a
 * subscription's current values, what a change did. The manager is never
 * started: its property table and configurations are all these need.
 */

const WIRED = { type: "ethernet", ipv4: { method: "dhcp" } };
const SECRET = {
  type: "ethernet",
  ipv4: { method: "dhcp" },
  ieee8021x: { eap: "md5", identity: "user1", password: "hunter2" },
};

let manager: NetworkManager;
let pushed: object[];
let closers: Array<() => void>;
let session: ControlSession;

beforeEach(() => {
  manager = createNetworkManager({
    config: parseConfig({ interfaces: { eth0: WIRED } }),
    persistence: null,
  });
  ({ session, pushed, closers } = testSession());
});

describe("get with tree", () => {
  it("answers every property at or under the key, with ages; none is an empty list", async () => {
    manager.properties.put(["interface", "eth0", "state"], "configured");
    manager.properties.put(["interface", "eth0", "lower_up"], true);
    manager.properties.put(["interface", "eth1", "state"], "retrying");
    const handle = controlHandler(manager, noReload);
    const subtree = (await handle(
      { command: "get", key: ["interface", "eth0"], tree: true },
      session,
    )) as Array<{ key: string[]; value: unknown; ageMs: number }>;
    expect(subtree.map(({ key, value }) => ({ key, value }))).toEqual([
      { key: ["interface", "eth0", "lower_up"], value: true },
      { key: ["interface", "eth0", "state"], value: "configured" },
    ]);
    expect(subtree.every(({ ageMs }) => ageMs >= 0)).toBe(true);
    expect(
      await handle({ command: "get", key: ["interface", "eth9"], tree: true }, session),
    ).toEqual([]);
  });
});

describe("subscribe", () => {
  it("answers the current values under the prefix, then pushes each change", async () => {
    manager.properties.put(["interface", "eth0", "state"], "configuring");
    const handle = controlHandler(manager, noReload);
    const current = (await handle(
      { command: "subscribe", prefix: ["interface", "eth0"] },
      session,
    )) as Array<{ key: string[]; value: unknown }>;
    expect(current.map(({ key, value }) => ({ key, value }))).toEqual([
      { key: ["interface", "eth0", "state"], value: "configuring" },
    ]);
    manager.properties.put(["interface", "eth0", "state"], "configured");
    expect(pushed).toMatchObject([
      { event: "change", key: ["interface", "eth0", "state"], value: "configured" },
    ]);
    for (const close of closers) close();
  });
});

describe("changes answer what they did", () => {
  it("configure, the same again, and deconfigure: the configuration afterwards, secrets masked", async () => {
    const handle = controlHandler(manager, noReload);
    expect(await handle({ command: "configure", ifname: "eth1", config: SECRET }, session)).toEqual(
      {
        ifname: "eth1",
        changed: true,
        config: { ...SECRET, ieee8021x: { ...SECRET.ieee8021x, password: MASK } },
      },
    );
    expect(
      await handle({ command: "configure", ifname: "eth1", config: SECRET }, session),
    ).toMatchObject({ ifname: "eth1", changed: false });
    expect(await handle({ command: "deconfigure", ifname: "eth1" }, session)).toEqual({
      ifname: "eth1",
      changed: true,
      config: null,
    });
  });

  it("status answers info, secrets masked", async () => {
    const handle = controlHandler(manager, noReload);
    await handle({ command: "configure", ifname: "eth1", config: SECRET }, session);
    const info = (await handle({ command: "status" }, session)) as {
      interfaces: Record<string, { config?: { ieee8021x?: { password?: string } } }>;
    };
    expect(Object.keys(info.interfaces)).toEqual(["eth0", "eth1"]);
    expect(info.interfaces.eth1?.config?.ieee8021x?.password).toBe(MASK);
  });
});
