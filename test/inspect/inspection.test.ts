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

afterEach(async () => {
  inspection?.stop();
  listener?.terminate();
  await relay?.close();
  [inspection, listener, relay] = [undefined, undefined, undefined];
});

describe("inspection", () => {
  it("sends every actor, event and snapshot to the relay, never a secret", async () => {
    relay = await startRelay({ port: 0 });
    const received: string[] = [];
    listener = new WebSocket(relay.url);
    listener.on("message", (data) => received.push(data.toString()));
    await new Promise((resolve) => listener?.once("open", resolve));
    inspection = createInspection({
      url: relay.url,
      secrets: () => secretValues(WIFI),
      logger: silentLogger(),
    });
    const actor = createActor(configured, { inspect: inspection.inspect });
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
