import { lstat, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { Lab, type LabServer, processAlive } from "../../lab/namespace-lab.js";
import {
  WpaCommandFailed,
  WpaControl,
  type WpaMonitorEvent,
  WpaTimeoutError,
  WpaUnreachableError,
} from "../../src/technologies/wifi/wpa-control.js";
import { captureLogs } from "../support/capture-logs.js";
import { describeAsRoot } from "../support/root.js";
import { waitUntil } from "../support/wait.js";

/**
 * WpaControl against a real wpa_supplicant: `-D wired` on the lab's veth,
 * inside the lab's device namespace, while this test process stays in the
 * initial one; the control socket is reached through the file system.
 * The wired driver has no radio (SCAN fails) but its control interface is
 * the one a WiFi interface has.
 */

const PASSPHRASE = "correct horse battery staple";

describeAsRoot("WpaControl: wpa_supplicant's control socket", () => {
  let lab: Lab;
  let supplicant: LabServer | undefined;
  let control: WpaControl | undefined;
  let ctrlDir: string;
  let localDir: string;
  let events: WpaMonitorEvent[];
  let logs: ReturnType<typeof captureLogs>;

  beforeAll(async () => {
    lab = await Lab.create({ uplinks: ["eth0"] });
  });

  afterAll(async () => {
    await lab?.teardown();
  });

  beforeEach(async () => {
    const dir = await lab.tempDir("wpa-control");
    ctrlDir = join(dir, "ctrl");
    localDir = join(dir, "client");
    const socketPath = join(ctrlDir, "eth0");
    supplicant = await lab.startProcess(
      "wpa_supplicant",
      lab.deviceNs,
      ["wpa_supplicant", "-D", "wired", "-i", "eth0", "-C", ctrlDir],
      {
        dir,
        ready: async (gone) => {
          await waitUntil("wpa_supplicant's control socket", async () => {
            if (gone()) throw new Error("wpa_supplicant exited");
            return (await lstat(socketPath).catch(() => undefined))?.isSocket();
          });
        },
      },
    );
    events = [];
    logs = captureLogs("debug");
    control = await WpaControl.open(socketPath, {
      localDir,
      logger: logs.logger,
      onEvent: (event) => events.push(event),
    });
  });

  afterEach(async () => {
    await control?.close();
    control = undefined;
    await supplicant?.stop();
    supplicant = undefined;
  });

  const open = () => control as WpaControl;
  const eventText = (pattern: RegExp) => () => events.find((event) => pattern.test(event.text));

  /** The process we started, checked by name before it is signalled. */
  async function supplicantPid(): Promise<number> {
    const pid = (supplicant as LabServer).pid;
    expect((await readFile(`/proc/${pid}/comm`, "utf8")).trim()).toBe("wpa_supplicant");
    return pid;
  }

  it("answers PING from another network namespace", async () => {
    expect(await open().request("PING")).toBe("PONG\n");
    expect(await open().ping()).toBe(true);
    const status = await open().request("STATUS");
    expect(status).toMatch(/^wpa_state=/m);
    expect(status).toMatch(/^address=([0-9a-f]{2}:){5}[0-9a-f]{2}$/m);
  });

  it("a network added, configured, listed and removed, with its events on the monitor", async () => {
    const id = Number.parseInt(await open().request("ADD_NETWORK"), 10);
    expect(Number.isInteger(id)).toBe(true);
    const added = await waitUntil(
      "CTRL-EVENT-NETWORK-ADDED",
      eventText(/^CTRL-EVENT-NETWORK-ADDED /),
    );
    expect(added).toEqual({ level: 3, text: `CTRL-EVENT-NETWORK-ADDED ${id}` });

    await open().requestOk(`SET_NETWORK ${id} ssid "statenet-lab"`);
    await open().requestOk(`SET_NETWORK ${id} key_mgmt WPA-PSK`);
    await open().requestOk(`SET_NETWORK ${id} psk "${PASSPHRASE}"`);
    expect(await open().request(`GET_NETWORK ${id} ssid`)).toBe('"statenet-lab"');
    expect(await open().request(`GET_NETWORK ${id} key_mgmt`)).toBe("WPA-PSK");
    const listed = await open().request("LIST_NETWORKS");
    expect(listed.split("\n")[0]).toBe("network id / ssid / bssid / flags");
    expect(listed).toMatch(new RegExp(`^${id}\\tstatenet-lab\\tany\\t`, "m"));

    // A passphrase of 7 characters is refused by wpa_supplicant itself.
    await expect(open().requestOk(`SET_NETWORK ${id} psk "short"`)).rejects.toMatchObject({
      name: "WpaCommandFailed",
      command: `SET_NETWORK ${id} psk`,
      reply: "FAIL",
    });
    await expect(open().requestOk("NO_SUCH_COMMAND")).rejects.toBeInstanceOf(WpaCommandFailed);

    await open().requestOk(`REMOVE_NETWORK ${id}`);
    await waitUntil("CTRL-EVENT-NETWORK-REMOVED", eventText(/^CTRL-EVENT-NETWORK-REMOVED /));
    expect(await open().request("LIST_NETWORKS")).not.toMatch(/statenet-lab/);

    const logged = logs.texts.join("");
    expect(logged).toContain(`SET_NETWORK ${id} psk`);
    expect(logged).not.toContain("horse");
  });

  it("a stopped supplicant times out; once it runs again the late PONG is not taken for the next reply", async () => {
    const pid = await supplicantPid();
    process.kill(pid, "SIGSTOP");
    try {
      const started = performance.now();
      await expect(open().request("PING", { timeoutMs: 300 })).rejects.toBeInstanceOf(
        WpaTimeoutError,
      );
      expect(performance.now() - started).toBeLessThan(2_000);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    // The supplicant now answers the old PING, to a socket that is gone.
    const status = await open().request("STATUS");
    expect(status).toMatch(/^wpa_state=/m);
    expect(await open().ping()).toBe(true);
  });

  it("SIGTERM: the monitor hears CTRL-EVENT-TERMINATING, then requests fail as unreachable at once", async () => {
    const pid = await supplicantPid();
    process.kill(pid, "SIGTERM");
    await waitUntil("CTRL-EVENT-TERMINATING", eventText(/^CTRL-EVENT-TERMINATING/));
    await waitUntil("wpa_supplicant to exit", () => !processAlive(pid));
    const started = performance.now();
    // It removed its socket on the way out.
    await expect(open().request("PING", { timeoutMs: 2_000 })).rejects.toMatchObject({
      name: "WpaUnreachableError",
      code: "ENOENT",
    });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(await open().ping()).toBe(false);
  });

  it("SIGKILL: requests fail with a typed error within the timeout, and close cleans up", async () => {
    const pid = await supplicantPid();
    process.kill(pid, "SIGKILL");
    await waitUntil("wpa_supplicant to die", () => !processAlive(pid));
    // Its socket file stays behind, bound by nobody.
    expect((await lstat(join(ctrlDir, "eth0"))).isSocket()).toBe(true);
    const started = performance.now();
    const failure = await open()
      .request("STATUS", { timeoutMs: 2_000 })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WpaUnreachableError);
    expect(failure).toMatchObject({ code: "ECONNREFUSED", command: "STATUS" });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(await open().ping()).toBe(false);

    const closing = performance.now();
    await open().close();
    expect(performance.now() - closing).toBeLessThan(1_000);
    expect(await readdir(localDir)).toEqual([]);
  });
});
