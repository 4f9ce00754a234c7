import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { assign, createActor, fromPromise, setup } from "xstate";
import { createInspection, type Inspection } from "../../src/inspect/inspection.js";
import { type Relay, startRelay } from "../../src/inspect/relay.js";
import { silentLogger } from "../../src/log.js";
import { secretValues } from "../../src/secrets.js";
import { waitUntil } from "../support/wait.js";

const PASSPHRASE = 'correct horse "battery" staple';
/** A WiFi-like configuration: the passphrase sits in the config and in the file rendered from it. */
const WIFI = {
  type: "wifi",
  networks: [{ ssid: "lab", psk: PASSPHRASE, eap: { identity: "kiosk", password: "pw-7731" } }],
};

const configured = setup({
  types: { context: {} as { config: typeof WIFI; applied: number } },
  actors: {
    writeFiles: fromPromise<void, { files: Array<{ path: string; content: string }> }>(
      async () => {},
    ),
  },
}).createMachine({
  id: "wifiLike",
  context: { config: WIFI, applied: 0 },
  initial: "writing",
  states: {
    writing: {
      invoke: {
        src: "writeFiles",
        input: ({ context }) => ({
          files: [
            {
              path: "/run/wpa_supplicant.conf",
              content: `network={\n ssid="lab"\n psk="${context.config.networks[0]?.psk}"\n}\n`,
            },
          ],
        }),
        onDone: { target: "done", actions: assign({ applied: 1 }) },
      },
    },
    done: { on: { "config.set": { actions: assign({ config: ({ event }) => event.config }) } } },
  },
});

let relay: Relay | undefined;
let inspection: Inspection | undefined;
let listener: WebSocket | undefined;

/**
 * A relay, a listener on it (what it received, as text) and an inspection
 * that sends to it, with WIFI's secrets to mask; afterEach closes all three.
 */
async function inspectWithListener(): Promise<{ received: string[]; inspecting: Inspection }> {
  const started = await startRelay({ port: 0 });
  relay = started;
  const received: string[] = [];
  listener = new WebSocket(started.url);
  listener.on("message", (data) => received.push(data.toString()));
  await new Promise((resolve) => listener?.once("open", resolve));
  const inspecting = createInspection({
    url: started.url,
    secrets: () => secretValues(WIFI),
    logger: silentLogger(),
  });
  inspection = inspecting;
  return { received, inspecting };
}

afterEach(async () => {
  inspection?.stop();
  listener?.terminate();
  await relay?.close();
  [inspection, listener, relay] = [undefined, undefined, undefined];
});

/** What a client that connects now gets: the relay's picture, up to its `@statenet.replayed`. */
async function latePicture(url: string): Promise<Array<Record<string, unknown>>> {
  const received: Array<Record<string, unknown>> = [];
  const late = new WebSocket(url);
  late.on("message", (data) => received.push(JSON.parse(data.toString())));
  try {
    await waitUntil("the picture", () => received.at(-1)?.type === "@statenet.replayed");
    return received;
  } finally {
    late.terminate();
  }
}

describe("inspection", () => {
  it("sends every actor, event and snapshot to the relay, never a secret", async () => {
    const { received, inspecting } = await inspectWithListener();
    const actor = createActor(configured, { inspect: inspecting.inspect });
    actor.start();
    actor.send({ type: "config.set", config: WIFI } as never);
    await waitUntil("the events at the relay", () =>
      received.some((message) => message.includes('"config.set"')),
    );
    await waitUntil("the last snapshot at the relay", () =>
      received.some((message) => message.includes('"applied":1')),
    );
    const all = received.join("\n");
    expect(all).toContain("@xstate.actor");
    expect(all).toContain("writeFiles");
    for (const secret of [PASSPHRASE, "pw-7731", "battery"]) expect(all).not.toContain(secret);
    expect(all).toContain('"psk":"***"');
    actor.stop();
  });

  it("replays what a late client missed, and waits for a relay that comes later", async () => {
    relay = await startRelay({ port: 0 });
    const { url } = relay;
    await relay.close();
    inspection = createInspection({ url, secrets: () => [], logger: silentLogger() });
    const actor = createActor(configured, { inspect: inspection.inspect });
    actor.start();
    const port = Number(new URL(url).port);
    relay = await startRelay({ port });
    const received: string[] = [];
    await waitUntil(
      "queued messages through the new relay",
      async () => {
        if (!listener) {
          listener = new WebSocket(url);
          listener.on("message", (data) => received.push(data.toString()));
        }
        return received.some((message) => message.includes("@xstate.actor"));
      },
      10_000,
    );
    actor.stop();
  });
});

describe("the relay", () => {
  it("gives a late client the actors that still run, with their latest snapshots and properties", async () => {
    relay = await startRelay({ port: 0 });
    const daemon = new WebSocket(relay.url);
    await new Promise((resolve) => daemon.once("open", resolve));
    const messages = [
      { type: "@xstate.actor", sessionId: "x:1", name: "connectivity:eth0" },
      { type: "@xstate.snapshot", sessionId: "x:1", snapshot: { status: "active", value: "lan" } },
      { type: "@xstate.actor", sessionId: "x:2", name: "interface:eth0" },
      { type: "@xstate.snapshot", sessionId: "x:2", snapshot: { status: "active", value: "a" } },
      { type: "@xstate.snapshot", sessionId: "x:2", snapshot: { status: "active", value: "b" } },
      { type: "@statenet.property", key: "connection", value: "lan" },
      { type: "@xstate.snapshot", sessionId: "x:1", snapshot: { status: "stopped", value: "lan" } },
    ];
    for (const message of messages) daemon.send(JSON.stringify(message));
    let received: Array<Record<string, unknown>> = [];
    await waitUntil("the relay to have taken in everything", async () => {
      received = await latePicture(relay?.url ?? "");
      // The last message the relay took in is the stop: once it is, x:1 is gone.
      return (
        received.some((message) => message.type === "@statenet.property") &&
        !received.some((message) => message.sessionId === "x:1")
      );
    }).catch(() => {});
    // The current picture, then the word that it is complete.
    expect(received).toEqual([
      messages[2],
      messages[4],
      messages[5],
      { type: "@statenet.replayed" },
    ]);
    daemon.terminate();
  });

  it("keeps warnings apart from the flood of events, for a late client", async () => {
    relay = await startRelay({ port: 0, replay: 3 });
    const daemon = new WebSocket(relay.url);
    await new Promise((resolve) => daemon.once("open", resolve));
    const warning = { type: "@statenet.log", level: "warn", msg: "udhcpc died", fields: {}, at: 1 };
    daemon.send(JSON.stringify(warning));
    const events = Array.from({ length: 10 }, (_, index) => ({
      type: "@xstate.event",
      sessionId: "x:0",
      event: { type: "connectivity.checked", n: index },
    }));
    for (const event of events) daemon.send(JSON.stringify(event));
    let received: Array<Record<string, unknown>> = [];
    await waitUntil("a late client to get the last events", async () => {
      received = await latePicture(relay?.url ?? "");
      return JSON.stringify(received).includes('"n":9');
    });
    expect(received).toEqual([warning, ...events.slice(-3), { type: "@statenet.replayed" }]);
    daemon.terminate();
  });
});

describe("inspection of the logs", () => {
  it("sends a warning to the relay, never a secret in it", async () => {
    const { received, inspecting } = await inspectWithListener();
    inspecting.log({
      level: "warn",
      msg: "wpa_supplicant refused the network",
      fields: { ifname: "wlan0", psk: PASSPHRASE, output: `psk="${PASSPHRASE}"` },
      at: 5,
    });
    await waitUntil("the warning at the relay", () =>
      received.some((message) => message.includes("@statenet.log")),
    );
    const line = JSON.parse(received.find((message) => message.includes("@statenet.log")) ?? "");
    expect(line).toMatchObject({
      type: "@statenet.log",
      level: "warn",
      msg: "wpa_supplicant refused the network",
      fields: { ifname: "wlan0", psk: "***" },
      at: 5,
    });
    expect(received.join("\n")).not.toContain("battery");
  });
});
