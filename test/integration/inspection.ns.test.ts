import { afterAll, beforeAll, expect, it } from "vitest";
import WebSocket from "ws";
import { Lab } from "../../lab/namespace-lab.js";
import { type Relay, startRelay } from "../../src/inspect/relay.js";
import { type LabManager, startLabManager } from "../support/lab-manager.js";
import { describeAsRoot } from "../support/root.js";
import { statenetFromSource } from "../support/statenet-cli.js";
import { waitUntil } from "../support/wait.js";

/**
 * The manager's statecharts live on a relay: what the Stately inspector and
 * the visualizer see.
 */
describeAsRoot("live inspection of a running manager", () => {
  let lab: Lab;
  let relay: Relay;
  let listener: WebSocket;
  let running: LabManager | undefined;
  const messages: Array<{
    type: string;
    name?: string;
    event?: { type: string; ifname?: string };
  }> = [];
  const raw: string[] = [];
  const SECRET = "inspect-me-not-8021x";

  beforeAll(async () => {
    lab = await Lab.create({ uplinks: ["eth0", "wlan0"] });
    relay = await startRelay({ port: 0 });
    listener = new WebSocket(relay.url);
    listener.on("message", (data) => {
      raw.push(data.toString());
      messages.push(JSON.parse(data.toString()));
    });
    await new Promise((resolve) => listener.once("open", resolve));
    running = await startLabManager(
      lab,
      {
        interfaces: {
          eth0: lab.staticConfig("eth0"),
          // Its plan (machine context) carries wpa_supplicant's settings, password included.
          wlan0: {
            ...lab.staticConfig("wlan0"),
            ieee8021x: { eap: "md5", identity: "kiosk", password: SECRET },
          },
        },
      },
      { inspect: relay.url },
    );
  });

  afterAll(async () => {
    await running?.stop();
    listener?.terminate();
    await relay?.close();
    await lab?.teardown();
  });

  it("shows every actor of the tree", async () => {
    await waitUntil("the actors at the relay", () => {
      const names = new Set(messages.filter((m) => m.type === "@xstate.actor").map((m) => m.name));
      return ["manager", "routeManager", "interface:eth0", "interface:wlan0"].every((name) =>
        names.has(name),
      );
    });
  });

  it("never shows a secret: the 802.1X password in wlan0's config and plan is masked", async () => {
    await waitUntil("wlan0's plan at the relay", () =>
      raw.some((message) => message.includes('"wpa_supplicant"')),
    );
    expect(raw.join("\n")).not.toContain(SECRET);
    expect(raw.some((message) => message.includes('"password":"***"'))).toBe(true);
  });

  it("shows the events that move them, as they happen", async () => {
    await lab.unplug("eth0");
    try {
      await waitUntil("eth0's carrier loss at the relay", () =>
        messages.some(
          (m) =>
            m.type === "@xstate.event" &&
            m.event?.type === "link.changed" &&
            m.event.ifname === "eth0",
        ),
      );
    } finally {
      await lab.plug("eth0");
    }
  });
});

describeAsRoot("statenet inspect (the relay)", () => {
  const statenet = (args: string[]) => statenetFromSource(args);

  it("listens on the loopback only, says what to open, serves the visualizer, and stops on SIGTERM", async () => {
    const relay = statenet(["inspect", "--port", "0"]);
    let output = "";
    relay.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    // Printed once node has started the CLI: seconds on a loaded machine.
    await waitUntil("the relay's address", () => /ws:\/\/127\.0\.0\.1:\d+/.test(output), 30_000);
    expect(output).toMatch(/statenet run --config FILE --inspect=ws:\/\/127\.0\.0\.1:\d+/);
    relay.kill("SIGTERM");
    expect((await relay).exitCode).toBe(0);
    const visualizer = statenet(["visualize", "--port", "0"]);
    let shown = "";
    visualizer.stdout?.on("data", (chunk: Buffer) => {
      shown += chunk.toString();
    });
    await waitUntil(
      "the visualizer's address",
      () => /browser: http:\/\/127\.0\.0\.1:\d+\//.test(shown),
      30_000,
    );
    const page = /browser: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(shown)?.[1] ?? "";
    expect(await (await fetch(page)).text()).toContain("statenet visualizer");
    expect((await fetch(`${page}diagrams/connectivity.svg`)).headers.get("content-type")).toBe(
      "image/svg+xml",
    );
    visualizer.kill("SIGTERM");
    expect((await visualizer).exitCode).toBe(0);
    const bad = await statenet(["run", "--config", "x.json", "--inspect=http://x"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("--inspect needs a ws:// URL");
    // Three CLI starts under tsx: seconds each on a loaded machine.
  }, 90_000);
});
