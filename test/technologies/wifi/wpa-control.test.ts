import { lstat, mkdir, mkdtemp, readdir, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/log.js";
import {
  ControlSocketError,
  UnixDatagramSocket,
} from "../../../src/technologies/wifi/control-socket.js";
import {
  describeCommand,
  parseMonitorMessage,
  WpaClosedError,
  WpaCommandFailed,
  WpaControl,
  type WpaControlOptions,
  WpaInvalidRequestError,
  type WpaMonitorEvent,
  WpaTimeoutError,
  WpaUnreachableError,
} from "../../../src/technologies/wifi/wpa-control.js";
import { captureLogs } from "../../support/capture-logs.js";
import { waitUntil } from "../../support/wait.js";

interface Received {
  command: string;
  from: string;
}

/**
 * A stand-in for wpa_supplicant's control socket: a datagram socket bound to
 * a path that answers PING, ATTACH and DETACH like it does. `answer` decides
 * every reply; returning undefined holds the request unanswered.
 */
class FakeSupplicant {
  readonly received: Received[] = [];
  readonly monitors = new Set<string>();
  answer: (command: string, from: string) => string | undefined = (command, from) =>
    this.standardAnswer(command, from);
  readonly #socket: UnixDatagramSocket;

  private constructor(socket: UnixDatagramSocket) {
    this.#socket = socket;
  }

  static async start(path: string): Promise<FakeSupplicant> {
    let fake: FakeSupplicant | undefined;
    const socket = await UnixDatagramSocket.bind(path, {
      onMessage: (data, from) => fake?.onRequest(data.toString(), from),
      onError: (error) => {
        throw error;
      },
    });
    fake = new FakeSupplicant(socket);
    return fake;
  }

  get path(): string {
    return this.#socket.path;
  }

  commands(): string[] {
    return this.received.map((request) => request.command);
  }

  standardAnswer(command: string, from: string): string | undefined {
    if (command === "PING") return "PONG\n";
    if (command === "ATTACH") {
      this.monitors.add(from);
      return "OK\n";
    }
    if (command === "DETACH") {
      this.monitors.delete(from);
      return "OK\n";
    }
    return "UNKNOWN COMMAND\n";
  }

  onRequest(command: string, from: string): void {
    this.received.push({ command, from });
    const reply = this.answer(command, from);
    if (reply !== undefined) void this.send(from, reply);
  }

  /** Sends to a client socket; one that is gone is no error (wpa_supplicant only logs it). */
  async send(to: string, text: string): Promise<boolean> {
    try {
      await this.#socket.sendTo(to, Buffer.from(text));
      return true;
    } catch {
      return false;
    }
  }

  async event(text: string): Promise<void> {
    for (const monitor of this.monitors) await this.send(monitor, text);
  }

  close(): Promise<void> {
    return this.#socket.close();
  }
}

let dir: string;
let localDir: string;
let fake: FakeSupplicant;
const opened: WpaControl[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "statenet-wpa-control-"));
  localDir = join(dir, "client");
  fake = await FakeSupplicant.start(join(dir, "wlan0"));
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((control) => control.close()));
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

async function open(options: Partial<WpaControlOptions> = {}): Promise<WpaControl> {
  const control = await WpaControl.open(fake.path, {
    localDir,
    logger: silentLogger(),
    ...options,
  });
  opened.push(control);
  return control;
}

describe("describeCommand", () => {
  it("keeps the command word, a network id and a field name, never a value", () => {
    expect(describeCommand('SET_NETWORK 0 psk "correct horse"')).toBe("SET_NETWORK 0 psk");
    expect(describeCommand("SET_NETWORK 12 ssid 6e6574")).toBe("SET_NETWORK 12 ssid");
    expect(describeCommand("GET_NETWORK 3 key_mgmt")).toBe("GET_NETWORK 3 key_mgmt");
    expect(describeCommand("ENABLE_NETWORK 2")).toBe("ENABLE_NETWORK 2");
    expect(describeCommand("SET country DE")).toBe("SET country");
    expect(describeCommand("PING")).toBe("PING");
    // Anything else after the word is an argument of unknown meaning: left out.
    expect(describeCommand("WPS_PIN any 12345670")).toBe("WPS_PIN");
    expect(describeCommand("PASSWORD 0 hunter2")).toBe("PASSWORD 0");
    expect(describeCommand('"secret" PING')).toBe("(unnamed command)");
  });
});

describe("parseMonitorMessage", () => {
  it("splits the level from the text and leaves replies alone", () => {
    expect(parseMonitorMessage("<3>CTRL-EVENT-NETWORK-ADDED 0")).toEqual({
      level: 3,
      text: "CTRL-EVENT-NETWORK-ADDED 0",
    });
    expect(parseMonitorMessage("<2>Control interface command 'PING'")?.level).toBe(2);
    expect(parseMonitorMessage("OK\n")).toBeUndefined();
    expect(parseMonitorMessage("FAIL\n")).toBeUndefined();
  });
});

describe("WpaControl against a fake supplicant", () => {
  it("attaches a monitor socket of its own and answers requests on another", async () => {
    const control = await open();
    expect(fake.commands()).toEqual(["ATTACH"]);
    const monitor = fake.received[0]?.from as string;
    expect(monitor.startsWith(`${localDir}/`)).toBe(true);
    expect((await stat(localDir)).mode & 0o777).toBe(0o700);
    expect((await lstat(monitor)).isSocket()).toBe(true);

    expect(await control.request("PING")).toBe("PONG\n");
    expect(await control.ping()).toBe(true);
    const requester = fake.received[1]?.from;
    expect(requester).toMatch(new RegExp(`^${localDir}/`));
    expect(requester).not.toBe(monitor);
  });

  it("delivers events without their level prefix, to every listener", async () => {
    const first: WpaMonitorEvent[] = [];
    const later: WpaMonitorEvent[] = [];
    const control = await open({ onEvent: (event) => first.push(event) });
    control.onEvent(() => {
      throw new Error("a broken listener");
    });
    const remove = control.onEvent((event) => later.push(event));

    await fake.event("<3>CTRL-EVENT-NETWORK-ADDED 0");
    await waitUntil("the event", () => first.length === 1 && later.length === 1);
    expect(first[0]).toEqual({ level: 3, text: "CTRL-EVENT-NETWORK-ADDED 0" });
    expect(later[0]).toEqual(first[0]);

    remove();
    await fake.event("<4>CTRL-EVENT-SCAN-FAILED ret=-1");
    await waitUntil("the second event", () => first.length === 2);
    expect(first[1]).toEqual({ level: 4, text: "CTRL-EVENT-SCAN-FAILED ret=-1" });
    expect(later).toHaveLength(1);
    // Events never pass for replies.
    expect(await control.request("PING")).toBe("PONG\n");
  });

  it("sends one request at a time and gives each caller its own reply", async () => {
    let outstanding = 0;
    let mostOutstanding = 0;
    fake.answer = (command, from) => {
      if (command === "ATTACH") return fake.standardAnswer(command, from);
      outstanding += 1;
      mostOutstanding = Math.max(mostOutstanding, outstanding);
      // Answered a little later: requests sent early would pile up meanwhile.
      setTimeout(() => {
        outstanding -= 1;
        void fake.send(from, `reply to ${command}\n`);
      }, 20);
      return undefined;
    };
    const control = await open();
    const commands = ["STATUS", "LIST_NETWORKS", "ADD_NETWORK", "SCAN_RESULTS", "PING"];
    const replies = await Promise.all(commands.map((command) => control.request(command)));
    expect(replies).toEqual(commands.map((command) => `reply to ${command}\n`));
    expect(mostOutstanding).toBe(1);
    expect(fake.commands().slice(1)).toEqual(commands);
  });

  it("a reply arriving after its request timed out is not taken for the next one", async () => {
    let slowFrom: string | undefined;
    fake.answer = (command, from) => {
      if (command === "STATUS") {
        slowFrom = from;
        return undefined;
      }
      return fake.standardAnswer(command, from);
    };
    const control = await open();
    const timedOut = control.request("STATUS", { timeoutMs: 100 });
    await expect(timedOut).rejects.toBeInstanceOf(WpaTimeoutError);
    await expect(timedOut).rejects.toMatchObject({ command: "STATUS", timeoutMs: 100 });

    // The late STATUS reply goes out just before PING's own reply.
    let lateDelivered: boolean | undefined;
    fake.answer = (command, from) => {
      if (command === "PING" && slowFrom) {
        void fake.send(slowFrom, "wpa_state=COMPLETED\n").then((delivered) => {
          lateDelivered = delivered;
          void fake.send(from, "PONG\n");
        });
        return undefined;
      }
      return fake.standardAnswer(command, from);
    };
    expect(await control.request("PING")).toBe("PONG\n");
    expect(lateDelivered).toBe(false);
    const pingFrom = fake.received.at(-1)?.from;
    expect(pingFrom).not.toBe(slowFrom);
    // The timed-out socket's file goes; the monitor and the new request socket remain.
    await waitUntil("the timed-out socket's file removed", async () => {
      const files = await readdir(localDir);
      return files.length === 2 && !files.some((file) => slowFrom === join(localDir, file));
    });
  });

  it("a queued request that times out is never sent; the one in flight still gets its reply", async () => {
    let heldFrom: string | undefined;
    fake.answer = (command, from) => {
      if (command === "SCAN") {
        heldFrom = from;
        return undefined;
      }
      return fake.standardAnswer(command, from);
    };
    const control = await open();
    const held = control.request("SCAN", { timeoutMs: 10_000 });
    const queued = control.request("LIST_NETWORKS", { timeoutMs: 50 });
    await expect(queued).rejects.toBeInstanceOf(WpaTimeoutError);
    await waitUntil("SCAN to reach the fake", () => heldFrom);
    await fake.send(heldFrom as string, "OK\n");
    expect(await held).toBe("OK\n");
    expect(await control.request("PING")).toBe("PONG\n");
    expect(fake.commands()).toEqual(["ATTACH", "SCAN", "PING"]);
  });

  it("drops datagrams from anyone but the supplicant", async () => {
    let requestFrom: string | undefined;
    fake.answer = (command, from) => {
      if (command === "STATUS") {
        requestFrom = from;
        return undefined;
      }
      return fake.standardAnswer(command, from);
    };
    const control = await open();
    const status = control.request("STATUS");
    await waitUntil("STATUS to reach the fake", () => requestFrom);
    const stranger = await FakeSupplicant.start(join(dir, "stranger"));
    try {
      expect(await stranger.send(requestFrom as string, "forged\n")).toBe(true);
      await fake.send(requestFrom as string, "wpa_state=INACTIVE\n");
      expect(await status).toBe("wpa_state=INACTIVE\n");
    } finally {
      await stranger.close();
    }
  });

  it("requestOk: OK passes, FAIL and UNKNOWN COMMAND are WpaCommandFailed", async () => {
    fake.answer = (command, from) => {
      if (command.startsWith("SET_NETWORK 0 ssid")) return "OK\n";
      if (command.startsWith("SET_NETWORK")) return "FAIL\n";
      return fake.standardAnswer(command, from);
    };
    const control = await open();
    await control.requestOk('SET_NETWORK 0 ssid "lab"');
    const failed = control.requestOk('SET_NETWORK 0 psk "short"');
    await expect(failed).rejects.toBeInstanceOf(WpaCommandFailed);
    await expect(failed).rejects.toMatchObject({ command: "SET_NETWORK 0 psk", reply: "FAIL" });
    await expect(control.requestOk("NO_SUCH_COMMAND")).rejects.toMatchObject({
      name: "WpaCommandFailed",
      reply: "UNKNOWN COMMAND",
    });
  });

  it("never logs or throws a request's secret value", async () => {
    const secret = "hunter2-passphrase";
    const { texts, logger } = captureLogs("debug");
    fake.answer = (command, from) => {
      if (command.includes("psk"))
        return command.startsWith("SET_NETWORK 1") ? undefined : "FAIL\n";
      return fake.standardAnswer(command, from);
    };
    const control = await open({ logger });
    const errors: Error[] = [];
    await control.requestOk(`SET_NETWORK 0 psk "${secret}"`).catch((e: Error) => errors.push(e));
    await control
      .request(`SET_NETWORK 1 psk "${secret}"`, { timeoutMs: 50 })
      .catch((e: Error) => errors.push(e));
    await control.request(`SET_NETWORK 0 psk "${secret}\n"`).catch((e: Error) => errors.push(e));
    await control.close();
    expect(errors.map((error) => error.name)).toEqual([
      "WpaCommandFailed",
      "WpaTimeoutError",
      "WpaInvalidRequestError",
    ]);
    expect(texts.join("")).toContain("SET_NETWORK 1 psk");
    expect(texts.join("")).not.toContain("hunter2");
    for (const error of errors) expect(`${error.message} ${error.stack}`).not.toContain("hunter2");
  });

  it("refuses a command with a line break or NUL, and a bad timeout, without sending them", async () => {
    const control = await open();
    await expect(control.request('SET_NETWORK 0 ssid "a\nb"')).rejects.toMatchObject({
      name: "WpaInvalidRequestError",
      field: "command",
    });
    await expect(control.request("PING\0")).rejects.toBeInstanceOf(WpaInvalidRequestError);
    await expect(control.request("  ")).rejects.toMatchObject({ field: "command" });
    await expect(control.request("PING", { timeoutMs: 0 })).rejects.toMatchObject({
      field: "timeoutMs",
    });
    expect(fake.commands()).toEqual(["ATTACH"]);
  });

  it("close detaches once, fails what is pending, removes its sockets, and can be called again", async () => {
    fake.answer = (command, from) =>
      command === "STATUS" ? undefined : fake.standardAnswer(command, from);
    const control = await open();
    const pending = expect(control.request("STATUS")).rejects.toBeInstanceOf(WpaClosedError);
    const queued = expect(control.request("PING")).rejects.toBeInstanceOf(WpaClosedError);
    await waitUntil("STATUS to reach the fake", () => fake.commands().includes("STATUS"));
    const first = control.close();
    const second = control.close();
    await Promise.all([first, second]);
    expect(control.closed).toBe(true);
    await pending;
    await queued;
    await control.close();
    expect(fake.commands().filter((command) => command === "DETACH")).toHaveLength(1);
    expect(fake.monitors.size).toBe(0);
    expect(await readdir(localDir)).toEqual([]);
    await expect(control.request("PING")).rejects.toBeInstanceOf(WpaClosedError);
    await expect(control.ping()).rejects.toBeInstanceOf(WpaClosedError);
  });

  it("a supplicant that went away: requests fail at once as unreachable, ping says false", async () => {
    const control = await open();
    await fake.close();
    const started = performance.now();
    await expect(control.request("PING", { timeoutMs: 5_000 })).rejects.toMatchObject({
      name: "WpaUnreachableError",
      code: "ENOENT",
    });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(await control.ping()).toBe(false);
    // close() does not wait for a DETACH nobody can answer.
    await control.close();
    expect(await readdir(localDir)).toEqual([]);
  });

  it("open fails without leaving sockets when nobody serves the path or ATTACH is refused", async () => {
    await expect(
      WpaControl.open(join(dir, "nobody"), { localDir, logger: silentLogger() }),
    ).rejects.toBeInstanceOf(WpaUnreachableError);
    expect(await readdir(localDir)).toEqual([]);

    fake.answer = (command, from) =>
      command === "ATTACH" ? "FAIL\n" : fake.standardAnswer(command, from);
    await expect(open()).rejects.toMatchObject({ name: "WpaCommandFailed", command: "ATTACH" });
    expect(await readdir(localDir)).toEqual([]);

    fake.answer = () => undefined;
    await expect(open({ timeoutMs: 50 })).rejects.toBeInstanceOf(WpaTimeoutError);
    expect(await readdir(localDir)).toEqual([]);
  });

  it("refuses a localDir that is a symbolic link, or a socket path too long for sun_path", async () => {
    const real = join(dir, "real");
    await mkdir(real);
    await symlink(real, join(dir, "link"));
    await expect(open({ localDir: join(dir, "link") })).rejects.toMatchObject({
      name: "ControlSocketError",
      field: "localDir",
    });
    await expect(
      WpaControl.open(join(dir, "x".repeat(120)), { localDir, logger: silentLogger() }),
    ).rejects.toBeInstanceOf(ControlSocketError);
  });
});
