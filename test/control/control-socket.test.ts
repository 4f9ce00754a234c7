import { mkdtemp, rm, stat } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/validate.js";
import { ControlConnectionError, controlRequest, controlStream } from "../../src/control/client.js";
import { type ControlRequest, parseControlRequest } from "../../src/control/protocol.js";
import { createControlServer } from "../../src/control/server.js";
import type { PrivateSocket } from "../../src/linux/private-socket.js";
import { silentLogger } from "../../src/log.js";
import { waitUntil } from "../support/wait.js";

let base: string;
let server: PrivateSocket;
const handled: ControlRequest[] = [];

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), "statenet-control-test-"));
  handled.length = 0;
  server = await createControlServer({
    dir: join(base, "control"),
    logger: silentLogger(),
    maxLineBytes: 1_024,
    handle: async (request, session) => {
      handled.push(request);
      if (request.command === "subscribe") {
        // Two changes, then one more when the client is gone (it must not be sent anywhere).
        session.push({ event: "change", key: ["a"], value: 1 });
        setTimeout(() => session.push({ event: "change", key: ["a"], value: 2 }), 10);
        session.onClose(() => handled.push({ command: "info" }));
        return undefined;
      }
      if (request.command === "configure")
        throw new ConfigError([{ path: "interfaces.eth0.ipv4", message: "required (object)" }]);
      const ifname = "ifname" in request ? request.ifname : "";
      if (ifname === "wlan0") throw new Error("interface wlan0 has no power manager");
      if (ifname === "slow0") await new Promise((resolve) => setTimeout(resolve, 50));
      return request.command === "get" ? { key: request.key } : undefined;
    },
  });
});

afterEach(async () => {
  await server.close();
  await rm(base, { recursive: true, force: true });
});

/** A raw connection: writes lines, collects reply lines. */
function connect(path: string) {
  const socket = net.createConnection(path);
  const replies: Array<Record<string, unknown>> = [];
  let pending = "";
  socket.on("data", (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) replies.push(JSON.parse(line) as Record<string, unknown>);
  });
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const until = async (count: number) => {
    for (let waited = 0; replies.length < count && waited < 2_000; waited += 5) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return replies;
  };
  return { socket, replies, until, closed };
}

describe("control socket", () => {
  it("is a socket only its owner may use", async () => {
    expect((await stat(server.path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(base, "control"))).mode & 0o777).toBe(0o700);
  });

  it("answers a request, and a failed one with the daemon's words", async () => {
    expect(
      await controlRequest(server.path, { id: 1, command: "force_reset", ifname: "wwan0" }),
    ).toEqual({
      id: 1,
      ok: true,
    });
    expect(await controlRequest(server.path, { command: "force_reset", ifname: "wlan0" })).toEqual({
      ok: false,
      error: "interface wlan0 has no power manager",
    });
    expect(handled.map((request) => ("ifname" in request ? request.ifname : ""))).toEqual([
      "wwan0",
      "wlan0",
    ]);
  });

  it("answers bad requests with an error and keeps the connection, replies in request order", async () => {
    const client = connect(server.path);
    client.socket.write("not json\n");
    client.socket.write(`${JSON.stringify({ id: "a", command: "reboot" })}\n`);
    client.socket.write(
      `${JSON.stringify({ id: "b", command: "force_reset", ifname: "slow0" })}\n`,
    );
    client.socket.write(
      `${JSON.stringify({ id: "c", command: "force_reset", ifname: "wwan0" })}\n`,
    );
    const replies = await client.until(4);
    expect(replies).toEqual([
      { ok: false, error: "request is not JSON", code: "bad_request" },
      {
        id: "a",
        ok: false,
        error:
          "unknown command; known: info, status, get, subscribe, configure, deconfigure, reset, force_reset, reload, wifi_scan",
        code: "bad_request",
      },
      { id: "b", ok: true },
      { id: "c", ok: true },
    ]);
    client.socket.destroy();
  });

  it("serves two clients at once, and goes on after one hangs up mid-request", async () => {
    const first = connect(server.path);
    first.socket.write(`${JSON.stringify({ command: "force_reset", ifname: "slow0" })}\n`);
    first.socket.destroy();
    const second = await controlRequest(server.path, { command: "force_reset", ifname: "wwan0" });
    expect(second).toEqual({ ok: true });
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await controlRequest(server.path, { command: "force_reset", ifname: "wwan1" })).toEqual({
      ok: true,
    });
  });

  it("cuts a connection whose line is over the limit", async () => {
    const client = connect(server.path);
    client.socket.write("x".repeat(2_000));
    await client.closed;
    expect(client.replies).toEqual([{ ok: false, error: "line longer than 1024 bytes" }]);
  });

  it("tells the CLI when no daemon listens", async () => {
    await expect(
      controlRequest(join(base, "nothing.sock"), { command: "force_reset", ifname: "wwan0" }),
    ).rejects.toThrow(ControlConnectionError);
    await expect(
      controlRequest(join(base, "nothing.sock"), { command: "force_reset", ifname: "wwan0" }),
    ).rejects.toThrow(/is the daemon running\?/);
  });
});

describe("control streams", () => {
  it("streams a subscription's changes after its reply, and stops when the client hangs up", async () => {
    const changes: unknown[] = [];
    const stream = controlStream(server.path, { command: "subscribe", prefix: ["a"] }, (message) =>
      changes.push(message),
    );
    expect(await stream.reply).toEqual({ ok: true });
    await waitUntil("two changes", () => changes.length === 2);
    expect(changes).toEqual([
      { event: "change", key: ["a"], value: 1 },
      { event: "change", key: ["a"], value: 2 },
    ]);
    stream.close();
    await stream.closed;
    await waitUntil("the subscription cleaned up", () =>
      handled.some((request) => request.command === "info"),
    );
  });

  it("marks a configuration the daemon refuses as the client's input, and answers get", async () => {
    expect(
      await controlRequest(server.path, { command: "configure", ifname: "eth0", config: {} }),
    ).toEqual({ ok: false, error: "interfaces.eth0.ipv4: required (object)", code: "bad_input" });
    expect(
      await controlRequest(server.path, { command: "get", key: ["interface", "eth0"] }),
    ).toEqual({
      ok: true,
      result: { key: ["interface", "eth0"] },
    });
  });
});

describe("control requests", () => {
  it.each([
    ["[]", "request is not a JSON object"],
    ['{"command":"force_reset"}', "ifname must be an interface name"],
    ['{"command":"get","key":"interface/eth0"}', "key must be a list of strings"],
    ['{"command":"configure","ifname":"eth0"}', "config is missing"],
    ['{"id":{},"command":"force_reset","ifname":"x"}', "id must be a string or a number"],
  ])("rejects %s", (line, message) => {
    expect(() => parseControlRequest(line)).toThrow(message);
  });
});
