import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, expect, it } from "vitest";
import { type Lab, processAlive } from "../../lab/namespace-lab.js";
import { describeAsRoot } from "../support/root.js";
import {
  type DaemonConfigWriter,
  namespacePids,
  runStatenetDaemon,
  STATENET,
  useCliLab,
} from "../support/statenet-cli.js";
import { waitUntil } from "../support/wait.js";

/**
 * The daemon's life on a device: one instance per tmpDir, SIGHUP and
 * `statenet reload`, and a supervisor's SIGTERM to the whole group.
 */

const INTERNET_HOST = "203.0.113.53";

interface LogLine {
  msg: string;
  level: number;
  [field: string]: unknown;
}

/** A daemon started with `statenet run` and its log, parsed line by line. */
function startDaemon(lab: Lab, configPath: string) {
  const child = runStatenetDaemon(lab, configPath);
  const log: LogLine[] = [];
  let partial = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) if (line) log.push(JSON.parse(line) as LogLine);
  });
  const logged = (msg: string) => log.filter((line) => line.msg === msg);
  return { child, log, logged };
}

describeAsRoot("the daemon's life: one instance, reload, a supervisor's SIGTERM", () => {
  let lab: Lab;
  let dir: string;
  let daemonConfig: DaemonConfigWriter;
  useCliLab(
    "lifecycle",
    { uplinks: ["eth0", "wlan0"], internetHosts: [INTERNET_HOST] },
    (fixture) => {
      ({ lab, dir, daemonConfig } = fixture);
    },
  );
  beforeAll(async () => {
    await lab.startDhcpServer("eth0");
  });

  /** A daemon started now gets the lock, runs, and stops with exit 0. */
  async function expectNextRunStarts(configPath: string): Promise<void> {
    const next = startDaemon(lab, configPath);
    try {
      await waitUntil("the next run", () => next.logged("statenet running").length > 0, 10_000);
    } finally {
      next.child.kill("SIGTERM");
      expect((await next.child).exitCode).toBe(0);
    }
  }

  /** What statenet manages, as the kernel has it; DHCP lifetimes left out, they count down. */
  async function networkState() {
    const ip = async (...args: string[]) =>
      (await lab.exec(lab.deviceNs, "ip", ["-4", ...args])).stdout;
    const addresses = JSON.parse(await ip("-j", "addr", "show")) as Array<{
      ifname: string;
      addr_info: Array<{ local: string; prefixlen: number }>;
    }>;
    return {
      addresses: addresses.flatMap((link) =>
        link.addr_info.map((address) => `${link.ifname} ${address.local}/${address.prefixlen}`),
      ),
      routes: await ip("route", "show", "table", "all"),
      rules: await ip("rule", "show"),
    };
  }

  const leased = async () => (await lab.routeGet(INTERNET_HOST)).dev === "eth0";
  const twoUplinks = () => ({
    interfaces: {
      eth0: { type: "ethernet", ipv4: { method: "dhcp" } },
      wlan0: lab.staticConfig("wlan0"),
    },
  });
  const udhcpcPid = async (tmpDir: string) =>
    (
      JSON.parse(await readFile(join(tmpDir, "pids", "udhcpc-eth0.pid.json"), "utf8")) as {
        pid: number;
      }
    ).pid;

  it("a second run exits 1 with one line and touches nothing: the first keeps its lease, routes and udhcpc", async () => {
    const { configPath, tmpDir } = await daemonConfig("single", twoUplinks());
    const first = startDaemon(lab, configPath);
    try {
      await waitUntil("a lease", leased, 10_000);
      const udhcpc = await waitUntil("udhcpc's record", () => udhcpcPid(tmpDir));
      const before = await networkState();
      const routeBefore = JSON.stringify(await lab.routeGet(INTERNET_HOST));
      // `ip route get` is asked all along the second run, not only before and after it.
      const seen = new Set<string>();
      let sampling = true;
      const sampler = (async () => {
        while (sampling) seen.add(JSON.stringify(await lab.routeGet(INTERNET_HOST)));
      })();
      const second = await runStatenetDaemon(lab, configPath);
      sampling = false;
      await sampler;
      expect({ exitCode: second.exitCode, stderr: second.stderr }).toEqual({
        exitCode: 1,
        stderr: `statenet: statenet is already running (pid ${first.child.pid})`,
      });
      expect(second.stdout).toBe("");
      expect([...seen]).toEqual([routeBefore]);
      expect(await networkState()).toEqual(before);
      expect(await udhcpcPid(tmpDir)).toBe(udhcpc);
      expect(processAlive(udhcpc)).toBe(true);
      expect(first.logged("ended daemons a previous run left behind")).toEqual([]);
      expect(first.child.exitCode).toBeNull();
    } finally {
      first.child.kill("SIGTERM");
      expect((await first.child).exitCode).toBe(0);
    }
    // Its lock went with it: the next run starts.
    await expectNextRunStarts(configPath);
  }, 40_000);

  it("a daemon killed outright (SIGKILL) leaves no lock behind", async () => {
    const { configPath } = await daemonConfig("killed", {
      interfaces: { wlan0: lab.staticConfig("wlan0") },
    });
    const killed = startDaemon(lab, configPath);
    await waitUntil("it runs", () => killed.logged("statenet running").length > 0, 10_000);
    killed.child.kill("SIGKILL");
    await killed.child;
    await expectNextRunStarts(configPath);
  }, 30_000);

  it("SIGHUP and `statenet reload` re-read the file: a good one is applied, a bad one changes nothing", async () => {
    const { configPath, tmpDir } = await daemonConfig("reload", twoUplinks());
    // By the socket: with --config, the CLI itself would refuse the bad file before asking.
    const socket = join(tmpDir, "control", "control.sock");
    const cli = (...args: string[]) =>
      execa(STATENET, [...args, "--socket", socket], { reject: false });
    const wlan0Addresses = async () =>
      (await networkState()).addresses.filter((address) => address.startsWith("wlan0 "));
    const withWlan0Address = (address: string, extra: Record<string, unknown> = {}) => {
      const config = twoUplinks();
      const wlan0 = config.interfaces.wlan0 as { ipv4: Record<string, unknown> };
      wlan0.ipv4 = { ...wlan0.ipv4, address };
      return { ...config, ...extra };
    };
    const daemon = startDaemon(lab, configPath);
    const pid = daemon.child.pid as number;
    try {
      await waitUntil("the control socket", async () => (await cli("info")).exitCode === 0, 10_000);
      await waitUntil("a lease", leased, 10_000);
      expect(await wlan0Addresses()).toEqual(["wlan0 198.51.100.10/24"]);

      // SIGHUP with a new static address: applied, and the daemon lives on.
      await daemonConfig("reload", withWlan0Address("198.51.100.77"));
      process.kill(pid, "SIGHUP");
      await waitUntil(
        "the new address",
        async () => (await wlan0Addresses()).join() === "wlan0 198.51.100.77/24",
      );
      await waitUntil(
        "its routes",
        async () => (await lab.routeGet(INTERNET_HOST, "198.51.100.77")).dev === "wlan0",
      );
      expect(daemon.logged("configuration reloaded").at(-1)).toMatchObject({ applied: ["wlan0"] });
      expect(daemon.child.exitCode).toBeNull();

      // SIGHUP with a bad file: logged naming the field; nothing changes.
      const before = await networkState();
      await daemonConfig("reload", {
        interfaces: {
          wlan0: {
            type: "ethernet",
            ipv4: { method: "static", address: "198.51.100.78", prefixLength: 33 },
          },
        },
      });
      process.kill(pid, "SIGHUP");
      const refused = await waitUntil("the error logged", () =>
        daemon.logged("configuration not reloaded; the running one stays").at(-1),
      );
      expect(refused.level).toBe(50);
      expect(JSON.stringify(refused)).toContain(
        "interfaces.wlan0.ipv4.prefixLength: must be 0..32",
      );
      expect(await networkState()).toEqual(before);
      expect(daemon.child.exitCode).toBeNull();

      // `statenet reload`: the same through the control socket, the error exits 2.
      const bad = await cli("reload");
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr).toContain("interfaces.wlan0.ipv4.prefixLength: must be 0..32");
      expect(await networkState()).toEqual(before);

      // eth0 is set at run time: that configuration stays over the file's, and the reply says so.
      const eth0 = { type: "ethernet", ipv4: { method: "dhcp", hostname: "kiosk-7" } };
      const configured = await cli("configure", "eth0", JSON.stringify(eth0));
      expect({ exitCode: configured.exitCode, stderr: configured.stderr }).toEqual({
        exitCode: 0,
        stderr: "",
      });
      await waitUntil("the lease again", leased, 10_000);
      const next = withWlan0Address("198.51.100.10", { additionalNameServers: ["192.0.2.53"] });
      (next.interfaces as Record<string, unknown>).eth0 = {
        type: "ethernet",
        ipv4: { method: "disabled" },
      };
      await daemonConfig("reload", { ...next, tmpDir: join(dir, "elsewhere") });
      const reloaded = await cli("reload");
      expect({ exitCode: reloaded.exitCode, stdout: reloaded.stdout }).toEqual({
        exitCode: 0,
        stdout: [
          "wlan0: applied",
          "eth0: changed in the file; the configuration set at run time stays (`statenet reset eth0` applies the file's)",
          "additionalNameServers: applied",
          "tmpDir: changed in the file; needs a restart",
        ].join("\n"),
      });
      await waitUntil(
        "the file's address back",
        async () => (await wlan0Addresses()).join() === "wlan0 198.51.100.10/24",
      );
      expect(await leased()).toBe(true);
      expect(JSON.parse((await cli("get", "interface/eth0/config", "--json")).stdout)).toEqual(
        eth0,
      );
      expect(await readFile(join(dir, "resolv-reload.conf"), "utf8")).toContain(
        "nameserver 192.0.2.53",
      );
      expect(
        daemon.logged("configuration set at run time stays over the file's").at(-1),
      ).toMatchObject({
        ifname: "eth0",
      });
      expect(daemon.logged("setting changed in the file; needs a restart").at(-1)).toMatchObject({
        setting: "tmpDir",
        level: 40,
      });
      const again = await cli("reload", "--json");
      expect(JSON.parse(again.stdout)).toMatchObject({ applied: [] });
    } finally {
      daemon.child.kill("SIGTERM");
      expect((await daemon.child).exitCode).toBe(0);
    }
  }, 60_000);

  /**
   * A supervisor's SIGTERM to the daemon and all its children (systemd's
   * KillMode=control-group). `kill` signals the pids in the order given, and
   * the kernel does not order what each process then does.
   */
  const groupKills = {
    "in one kill call, children first": async (children: number[], daemon: number) => {
      await execa("kill", ["-TERM", ...children.map(String), String(daemon)]);
    },
    // The worst order: every child is dead and reaped by the daemon before its own signal.
    "with every child gone before the daemon's own signal": async (
      children: number[],
      daemon: number,
    ) => {
      await execa("kill", ["-TERM", ...children.map(String)]);
      await waitUntil("the children reaped", () => children.every((child) => !processAlive(child)));
      await execa("kill", ["-TERM", String(daemon)]);
    },
  };

  it.each(Object.entries(groupKills))(
    "a group-wide SIGTERM (%s) keeps addresses, routes and rules, and exits 0",
    async (name, groupKill) => {
      const { configPath } = await daemonConfig(`group-${name.length}`, {
        ...twoUplinks(),
        internetHosts: [{ host: INTERNET_HOST, port: 53 }],
      });
      const daemon = startDaemon(lab, configPath);
      const pid = daemon.child.pid as number;
      // Its own lease (an earlier test's address is still there), and both uplinks checked:
      // from then on nothing changes routes unless the kill does.
      await waitUntil(
        "both uplinks at internet",
        () =>
          ["eth0", "wlan0"].every((ifname) =>
            daemon
              .logged("connectivity changed")
              .some((line) => line.ifname === ifname && line.status === "internet"),
          ),
        20_000,
      );
      expect(
        daemon.logged("DHCP event").map((line) => (line.event as { kind: string }).kind),
      ).toContain("bound");
      const before = await networkState();
      const children = namespacePids(lab.deviceNs).filter((child) => child !== pid);
      expect(children.length).toBeGreaterThanOrEqual(2); // udhcpc and ip monitor
      const logBefore = daemon.log.length;
      await groupKill(children, pid);
      const result = await daemon.child;
      expect({ exitCode: result.exitCode, signal: result.signal }).toEqual({
        exitCode: 0,
        signal: undefined,
      });
      expect(await networkState()).toEqual(before);
      expect(namespacePids(lab.deviceNs)).toEqual([]);
      // Nothing after the signal was taken for a link or lease event, nor worth a warning.
      const after = daemon.log.slice(logBefore);
      expect(after.filter((line) => line.level >= 40 || line.msg === "DHCP event")).toEqual([]);
      expect(after.map((line) => line.msg)).toContain("stopping");
      expect(after.at(-1)?.msg).toBe("stopped");
    },
    30_000,
  );
});
