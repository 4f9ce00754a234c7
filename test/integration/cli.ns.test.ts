import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { chmod, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, expect, it } from "vitest";
import { startAuthenticator } from "../../lab/authenticator.js";
import { type Lab, processAlive } from "../../lab/namespace-lab.js";
import { asUser, describeAsRoot, NOBODY } from "../support/root.js";
import {
  type DaemonConfigWriter,
  namespacePids,
  runStatenetDaemon,
  STATENET,
  useCliLab,
} from "../support/statenet-cli.js";
import { waitUntil } from "../support/wait.js";

const INTERNET_HOST = "203.0.113.53";

describeAsRoot("statenet run (the CLI daemon in a namespace)", () => {
  let lab: Lab;
  let dir: string;
  let daemonConfig: DaemonConfigWriter;
  useCliLab("cli", { uplinks: ["eth0", "wlan0"], internetHosts: [INTERNET_HOST] }, (fixture) => {
    ({ lab, dir, daemonConfig } = fixture);
  });
  beforeAll(async () => {
    await lab.startDhcpServer("eth0");
  });

  it("runs from a config file, logs JSON, and on SIGTERM stops its daemons and exits 0", async () => {
    const { configPath } = await daemonConfig("statenet", {
      interfaces: {
        eth0: { type: "ethernet", ipv4: { method: "dhcp" } },
        wlan0: lab.staticConfig("wlan0"),
      },
    });
    const daemon = runStatenetDaemon(lab, configPath);
    let output = "";
    daemon.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    await waitUntil(
      "a DHCP lease through the daemon",
      async () => (await lab.routeGet("203.0.113.53")).dev === "eth0",
      10_000,
    );
    // Its udhcpc runs in the namespace next to it.
    expect(namespacePids(lab.deviceNs).length).toBeGreaterThanOrEqual(3);
    daemon.kill("SIGTERM");
    const result = await daemon;
    expect({ exitCode: result.exitCode, signal: result.signal, stderr: result.stderr }).toEqual({
      exitCode: 0,
      signal: undefined,
      stderr: "",
    });
    expect(namespacePids(lab.deviceNs)).toEqual([]);
    const lines = output
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { msg: string });
    expect(lines.map((line) => line.msg)).toContain("statenet running");
    expect(lines.at(-1)?.msg).toBe("stopped");
  }, 20_000);

  it("force-reset asks the running daemon to power-cycle a device, and says why when it cannot", async () => {
    const { configPath } = await daemonConfig("power", {
      interfaces: { wlan0: lab.staticConfig("wlan0") },
      powerManagers: {
        wlan0: {
          commands: await lab.uplinkPowerCommands("wlan0"),
          powerOnHoldMs: 500,
          timeToPowerOffMs: 0,
          minPowerOffMs: 200,
        },
      },
    });
    const daemon = runStatenetDaemon(lab, configPath);
    const states: string[] = [];
    daemon.stdout?.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) {
        if (line.includes('"power state"'))
          states.push((JSON.parse(line) as { state: string }).state);
      }
    });
    try {
      await waitUntil("the device powered on", () => states.includes("on"), 10_000);
      const reset = await execa(STATENET, ["force-reset", "wlan0", "--config", configPath], {
        reject: false,
      });
      expect({ exitCode: reset.exitCode, stdout: reset.stdout }).toEqual({
        exitCode: 0,
        stdout: "wlan0: power cycle started",
      });
      await waitUntil(
        "a power cycle",
        () => states.at(-1) === "on_hold" && states.includes("resetting"),
      );
      const none = await execa(STATENET, ["force-reset", "eth0", "--config", configPath], {
        reject: false,
      });
      expect({ exitCode: none.exitCode, stderr: none.stderr }).toEqual({
        exitCode: 1,
        stderr: "statenet: interface eth0 has no power manager",
      });
    } finally {
      daemon.kill("SIGTERM");
      expect((await daemon).exitCode).toBe(0);
    }
    const gone = await execa(STATENET, ["force-reset", "wlan0", "--config", configPath], {
      reject: false,
    });
    expect(gone.exitCode).toBe(1);
    expect(gone.stderr).toContain("is the daemon running?");
    const usage = await execa(STATENET, ["force-reset"], { reject: false });
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr).toContain("force-reset needs one IFNAME");
  }, 30_000);

  it("configures a running daemon from the CLI; the change survives a restart", async () => {
    const { configPath } = await daemonConfig("runtime", {
      interfaces: { wlan0: lab.staticConfig("wlan0") },
    });
    const cli = (...args: string[]) =>
      execa(STATENET, [...args, "--config", configPath], { reject: false });
    const wlan0Address = async () =>
      (await lab.exec(lab.deviceNs, "ip", ["-4", "-o", "addr", "show", "dev", "wlan0"])).stdout;
    const changed = { ...lab.staticConfig("wlan0") } as { ipv4: Record<string, unknown> };
    changed.ipv4 = { ...changed.ipv4, address: "198.51.100.77" };

    let daemon = runStatenetDaemon(lab, configPath);
    try {
      await waitUntil(
        "the daemon's control socket",
        async () => (await cli("info")).exitCode === 0,
      );
      const subscriber = execa(
        STATENET,
        ["subscribe", "interface/wlan0/config", "--config", configPath],
        {
          reject: false,
        },
      );
      let streamed = "";
      subscriber.stdout?.on("data", (chunk: Buffer) => {
        streamed += chunk.toString();
      });
      await waitUntil("the subscription", () => streamed.includes("subscribed"));

      const configured = await cli("configure", "wlan0", JSON.stringify(changed));
      expect({ exitCode: configured.exitCode, stdout: configured.stdout }).toEqual({
        exitCode: 0,
        stdout: "wlan0: configured",
      });
      await waitUntil("the new address", async () =>
        (await wlan0Address()).includes("198.51.100.77/24"),
      );
      await waitUntil(
        "its routes",
        async () => (await lab.routeGet("203.0.113.53", "198.51.100.77")).dev === "wlan0",
      );
      await waitUntil("the change streamed", () =>
        /^\d\d:\d\d:\d\d\.\d{3} interface\/wlan0\/config \{.*198\.51\.100\.77/m.test(streamed),
      );
      subscriber.kill("SIGINT");
      expect((await subscriber).exitCode).toBe(0);

      const got = await cli("get", "interface/wlan0/config", "--json");
      expect(JSON.parse(got.stdout)).toEqual(changed);
      const info = JSON.parse((await cli("info", "--json")).stdout);
      expect(info.interfaces.wlan0.config).toEqual(changed);
      expect(info.available_interfaces).toEqual(["wlan0"]);
      expect((await cli("info")).stdout).toMatch(
        /^wlan0\n {2}type +ethernet\n {2}state +configured$/m,
      );

      const bad = await cli("configure", "wlan0", '{"type":"ethernet","ipv4":{"method":"static"}}');
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr).toContain("interfaces.wlan0.ipv4.address");
    } finally {
      daemon.kill("SIGTERM");
      expect((await daemon).exitCode).toBe(0);
    }
    // After a restart, the saved configuration is back over the file's.
    daemon = runStatenetDaemon(lab, configPath);
    try {
      await waitUntil("the daemon back", async () => (await cli("info")).exitCode === 0);
      expect(
        JSON.parse((await cli("get", "interface", "wlan0", "config", "--json")).stdout),
      ).toEqual(changed);
      expect(await wlan0Address()).toContain("198.51.100.77/24");
      expect((await cli("deconfigure", "wlan0")).stdout).toBe("wlan0: deconfigured");
      await waitUntil("no address", async () => !(await wlan0Address()).includes("inet "));
      expect((await cli("reset", "wlan0")).stdout).toBe("wlan0: back to its default configuration");
      await waitUntil("the file's address", async () =>
        (await wlan0Address()).includes("198.51.100.10/24"),
      );
    } finally {
      daemon.kill("SIGTERM");
      expect((await daemon).exitCode).toBe(0);
    }
  }, 40_000);

  it("a secret configured at run time never leaves the daemon: info, get, subscribe, logs, disk", async () => {
    const secret = `pw "${randomBytes(6).toString("hex")}" }`;
    const { configPath, stateDir } = await daemonConfig("secret", {
      interfaces: { eth0: { type: "ethernet", ipv4: { method: "dhcp" } } },
    });
    const cli = (...args: string[]) =>
      execa(STATENET, [...args, "--config", configPath], { reject: false });
    const port = await startAuthenticator(lab, "eth0", {
      users: [{ identity: "user1", method: "md5", password: secret }],
    });
    const daemon = runStatenetDaemon(lab, configPath);
    let logs = "";
    daemon.stdout?.on("data", (chunk: Buffer) => {
      logs += chunk.toString();
    });
    const outputs: string[] = [];
    try {
      await waitUntil("the control socket", async () => (await cli("info")).exitCode === 0);
      const subscriber = execa(STATENET, ["subscribe", "interface/eth0", "--config", configPath], {
        reject: false,
      });
      let streamed = "";
      subscriber.stdout?.on("data", (chunk: Buffer) => {
        streamed += chunk.toString();
      });
      await waitUntil("the subscription", () => streamed.includes("subscribed"));
      const config = {
        type: "ethernet",
        ipv4: { method: "dhcp" },
        ieee8021x: { eap: "md5", identity: "user1", password: secret },
      };
      // From a file, as one keeps a password out of the shell's history.
      const missing = await cli("configure", "eth0", `@${join(dir, "no-such.json")}`);
      expect(missing.exitCode).toBe(2);
      expect(missing.stderr).toMatch(/^statenet: ENOENT: .*no-such\.json/);
      const configFile = join(dir, "eth0-8021x.json");
      await writeFile(configFile, JSON.stringify(config), { mode: 0o600 });
      const configured = await cli("configure", "eth0", `@${configFile}`);
      expect(configured.stdout).toBe("eth0: configured");
      await port.waitForAuthorized(10_000);
      await waitUntil("the port authorized", async () =>
        (await cli("get", "interface/eth0/eap/state")).stdout.includes("authorized"),
      );
      await waitUntil("a lease", async () => (await lab.routeGet("203.0.113.53")).dev === "eth0");
      subscriber.kill("SIGINT");
      await subscriber;

      const info = await cli("info");
      expect(info.stdout).toMatch(/^ {2}802\.1X +authorized$/m);
      expect(info.stdout).toContain("      password: ***");
      const infoJson = await cli("info", "--json");
      expect(JSON.parse(infoJson.stdout).interfaces.eth0.config.ieee8021x).toEqual({
        eap: "md5",
        identity: "user1",
        password: "***",
      });
      const got = await cli("get", "interface/eth0/config", "--json");
      expect(JSON.parse(got.stdout).ieee8021x.password).toBe("***");
      expect(streamed).toContain('"password":"***"');
      outputs.push(info.stdout, infoJson.stdout, got.stdout, streamed);
    } finally {
      daemon.kill("SIGTERM");
      const result = await daemon;
      expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({
        exitCode: 0,
        stderr: "",
      });
      await port.stop();
    }
    expect(logs).toContain("802.1X");
    outputs.push(logs);
    // What was saved is sealed: neither the secret nor wpa_supplicant's hex of it is readable.
    for (const name of await readdir(join(stateDir, "configs"))) {
      outputs.push((await readFile(join(stateDir, "configs", name))).toString("latin1"));
    }
    const hex = Buffer.from(secret).toString("hex");
    for (const output of outputs) {
      expect(output).not.toContain(secret);
      expect(output).not.toContain(hex);
    }
  }, 40_000);

  it("status, info, get, subscribe and --json say what a person and a script need; reading is for controlGroup too", async () => {
    const { configPath, tmpDir } = await daemonConfig("status", {
      interfaces: {
        eth0: { type: "ethernet", ipv4: { method: "dhcp" } },
        wlan0: lab.staticConfig("wlan0"),
      },
      internetHosts: [{ host: INTERNET_HOST, port: 53 }],
      controlGroup: NOBODY,
    });
    const cli = (...args: string[]) =>
      execa(STATENET, [...args, "--config", configPath], { reject: false });
    const daemon = runStatenetDaemon(lab, configPath);
    let logs = "";
    daemon.stdout?.on("data", (chunk: Buffer) => {
      logs += chunk.toString();
    });
    const eth0Router = lab.uplink("eth0").routerAddress;
    try {
      type Status = {
        connection: string;
        uplinks: Array<Record<string, string | number | null>>;
      };
      const status = await waitUntil(
        "eth0 reaching the internet, checked",
        async () => {
          const result = await cli("status", "--json");
          if (result.exitCode !== 0) return false;
          const parsed = JSON.parse(result.stdout) as Status;
          const eth0 = parsed.uplinks.find((uplink) => uplink.ifname === "eth0");
          return eth0?.connection === "internet" && eth0.last_check !== null && parsed;
        },
        20_000,
      );
      expect(status.connection).toBe("internet");
      expect(status.uplinks.map((uplink) => uplink.ifname)).toEqual(["eth0", "wlan0"]);
      expect(status.uplinks[0]).toMatchObject({
        state: "configured",
        gateway: eth0Router,
        metric: expect.any(Number),
        reason: expect.any(String),
        address: expect.stringMatching(/\/\d+$/),
        last_check_age_ms: expect.any(Number),
      });

      // Text: the network first, then one aligned row per uplink; no colour into a pipe.
      const page = await cli("status");
      expect(page.exitCode).toBe(0);
      const lines = page.stdout.split("\n");
      expect(lines[0]).toMatch(/^network: internet {3}route order: eth0 > wlan0$/);
      expect(lines[2]).toMatch(
        /^IFNAME +STATE +CONNECTION +ADDRESS +GATEWAY +METRIC +CHECKED +POWER$/,
      );
      expect(lines[3]).toMatch(
        new RegExp(
          `^eth0 +configured +internet \\(.+\\) +[\\d.]+/\\d+ +${eth0Router.replaceAll(".", "\\.")} +\\d+ +.+ ago +-$`,
        ),
      );
      expect(lines[3]?.indexOf("configured")).toBe(lines[4]?.indexOf("configured"));
      expect(page.stdout).not.toContain("\x1b");

      // info: carrier, MAC, gateway, the lease's end, the last check; the config as key: value lines.
      const info = await cli("info");
      expect(info.stdout).toMatch(/^network +internet$/m);
      expect(info.stdout).toMatch(/^ {2}carrier +yes$/m);
      expect(info.stdout).toMatch(/^ {2}mac address +([0-9a-f]{2}:){5}[0-9a-f]{2}$/m);
      expect(info.stdout).toMatch(
        new RegExp(`^ {2}gateway +${eth0Router.replaceAll(".", "\\.")}, metric \\d+$`, "m"),
      );
      expect(info.stdout).toMatch(/^ {2}DHCP lease +[\d.]+ for \d+ s, ends \S+Z \(in .+\)$/m);
      expect(info.stdout).toMatch(/^ {2}last check +.+ ago/m);
      expect(info.stdout).toMatch(/^ {4}ipv4:\n {6}method: dhcp$/m);
      expect(info.stdout).not.toContain("\x1b");
      const infoJson = JSON.parse((await cli("info", "--json")).stdout);
      expect(infoJson.available_interfaces).toEqual(["eth0", "wlan0"]);
      expect(infoJson.interfaces.eth0).toMatchObject({
        lower_up: true,
        mac_address: expect.any(String),
        default_route: { gateway: eth0Router, metric: expect.any(Number) },
        lease: { lease_seconds: expect.any(Number), expires: expect.any(String) },
        connectivity: { status: "internet", reason: expect.any(String) },
        config_source: { from: "file", overrides_file: false },
      });
      expect(JSON.stringify({ ...infoJson, interfaces: undefined })).not.toMatch(/"[a-z]+[A-Z]/);

      // get: a missing key is an error, a prefix its subtree.
      const missing = await cli("get", "interface/eth0/nothing");
      expect({
        exitCode: missing.exitCode,
        stdout: missing.stdout,
        stderr: missing.stderr,
      }).toEqual({
        exitCode: 1,
        stdout: "",
        stderr: "statenet: no property interface/eth0/nothing",
      });
      const missingJson = await cli("get", "interface/eth0/nothing", "--json");
      expect(missingJson.exitCode).toBe(1);
      expect(JSON.parse(missingJson.stdout)).toEqual({
        ok: false,
        error: { code: "not_found", message: "no property interface/eth0/nothing" },
      });
      const subtree = await cli("get", "interface/eth0");
      expect(subtree.exitCode).toBe(0);
      expect(subtree.stdout).toMatch(/^interface\/eth0\/connection +"internet"$/m);
      expect(subtree.stdout).toMatch(/^interface\/eth0\/lower_up +true$/m);
      const subtreeJson = JSON.parse((await cli("get", "interface/eth0", "--json")).stdout);
      expect(subtreeJson["interface/eth0/state"]).toBe("configured");
      expect(subtreeJson["interface/eth0/connectivity/status"]).toBe("internet");

      // subscribe: the current values first, then the changes, each with its time.
      const subscriber = execa(
        STATENET,
        ["subscribe", "interface/wlan0", "--json", "--config", configPath],
        { reject: false },
      );
      let streamed = "";
      subscriber.stdout?.on("data", (chunk: Buffer) => {
        streamed += chunk.toString();
      });
      type Line = { event: string; time: string; key: string; value: unknown };
      const streamedLines = () =>
        streamed
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Line);
      await waitUntil("the current values", () =>
        streamedLines().some((line) => line.key === "interface/wlan0/state"),
      );
      expect(streamedLines()[0]).toMatchObject({ event: "current", time: expect.any(String) });

      // A change answers what it did, with --json as without.
      const changed = { ...lab.staticConfig("wlan0") } as { ipv4: Record<string, unknown> };
      changed.ipv4 = { ...changed.ipv4, address: "198.51.100.78" };
      const configured = await cli("configure", "wlan0", JSON.stringify(changed), "--json");
      expect(JSON.parse(configured.stdout)).toEqual({
        ifname: "wlan0",
        changed: true,
        config: changed,
      });
      const again = await cli("configure", "wlan0", JSON.stringify(changed));
      expect(again.stdout).toBe("wlan0: configured (no change)");
      const reloaded = await cli("reload", "--json");
      expect(Object.keys(JSON.parse(reloaded.stdout)).sort()).toEqual([
        "applied",
        "applied_settings",
        "kept_runtime",
        "needs_restart",
      ]);
      await waitUntil("the change streamed", () =>
        streamedLines().some(
          (line) =>
            line.event === "change" &&
            line.key === "interface/wlan0/config" &&
            JSON.stringify(line.value).includes("198.51.100.78"),
        ),
      );
      for (const line of streamedLines()) expect(Date.parse(line.time)).not.toBeNaN();
      subscriber.kill("SIGINT");
      expect((await subscriber).exitCode).toBe(0);

      // controlGroup: its members read without root, and are refused changes.
      await chmod(dir, 0o755);
      const asNobody = (...args: string[]) =>
        asUser(NOBODY, NOBODY, [STATENET, ...args, "--config", configPath]);
      const read = await asNobody("status");
      expect({ exitCode: read.exitCode, stderr: read.stderr }).toEqual({ exitCode: 0, stderr: "" });
      expect(read.stdout).toMatch(/^network: internet/);
      const refused = await asNobody("deconfigure", "wlan0");
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toMatch(
        /^statenet: deconfigure changes the daemon: only root may ask/,
      );
      expect((await stat(join(tmpDir, "control-group", "control.sock"))).mode & 0o777).toBe(0o660);
      expect((await cli("get", "interface/wlan0/state")).stdout).toBe('"configured"');
    } finally {
      daemon.kill("SIGTERM");
      expect((await daemon).exitCode).toBe(0);
    }
    // Reading is logged at debug, changing at info.
    const requests = logs
      .split("\n")
      .filter((line) => line.includes('"control request"'))
      .map((line) => JSON.parse(line) as { level: number; command: string });
    const levels = (command: string) => [
      ...new Set(requests.filter((line) => line.command === command).map((line) => line.level)),
    ];
    expect(levels("status")).toEqual([20]);
    expect(levels("get")).toEqual([20]);
    expect(levels("subscribe")).toEqual([20]);
    expect(levels("configure")).toEqual([30]);
    expect(levels("reload")).toEqual([30]);
  }, 60_000);

  it("a daemon killed outright leaves its udhcpc behind; started again, it ends that one first", async () => {
    const { configPath, tmpDir } = await daemonConfig("killed", {
      interfaces: { eth0: { type: "ethernet", ipv4: { method: "dhcp" } } },
    });
    const record = join(tmpDir, "pids", "udhcpc-eth0.pid.json");
    const udhcpcPid = async () =>
      (JSON.parse(await readFile(record, "utf8")) as { pid: number }).pid;
    const udhcpcs = () =>
      namespacePids(lab.deviceNs).filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes("udhcpc");
        } catch {
          return false;
        }
      });
    const leased = async () => (await lab.routeGet("203.0.113.53")).dev === "eth0";

    let daemon = runStatenetDaemon(lab, configPath);
    await waitUntil("a lease", leased, 10_000);
    const orphan = await waitUntil("udhcpc's record", udhcpcPid);
    daemon.kill("SIGKILL");
    await daemon;
    expect(processAlive(orphan)).toBe(true);

    daemon = runStatenetDaemon(lab, configPath);
    try {
      await waitUntil("the orphan ended", () => !processAlive(orphan), 5_000);
      await waitUntil("a lease again", leased, 10_000);
      const own = await waitUntil("the new udhcpc's record", async () => {
        const pid = await udhcpcPid();
        return pid !== orphan && pid;
      });
      expect(udhcpcs()).toEqual([own]);
      expect(daemon.pid).toBeDefined();
    } finally {
      daemon.kill("SIGTERM");
      expect((await daemon).exitCode).toBe(0);
    }
    // A clean stop leaves no record behind, and nothing of either run is left.
    await expect(readFile(record)).rejects.toThrow(/ENOENT/);
    const left = namespacePids(lab.deviceNs).map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
      } catch {
        return `${pid}`;
      }
    });
    expect(left).toEqual([]);
  }, 40_000);

  it("refuses a bad config with exit code 2, names the field, and touches nothing", async () => {
    const configPath = join(dir, "bad.json");
    await writeFile(
      configPath,
      JSON.stringify({
        interfaces: {
          wlan0: {
            type: "ethernet",
            ipv4: { method: "static", address: "198.51.100.77", prefixLength: 33 },
          },
        },
        tmpDir: join(dir, "run-bad"),
      }),
    );
    // Brief: the addresses without their lifetimes, which a lease's count down.
    const before = (await lab.exec(lab.deviceNs, "ip", ["-4", "-brief", "addr", "show"])).stdout;
    const result = await runStatenetDaemon(lab, configPath);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("interfaces.wlan0.ipv4.prefixLength: must be 0..32");
    expect((await lab.exec(lab.deviceNs, "ip", ["-4", "-brief", "addr", "show"])).stdout).toBe(
      before,
    );
  });

  it("exits 2 on a missing file, bad JSON, or a bad command line", async () => {
    const missing = await runStatenetDaemon(lab, join(dir, "nope.json"));
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("ENOENT");
    const notJson = join(dir, "not.json");
    await writeFile(notJson, "{ interfaces: ");
    const bad = await runStatenetDaemon(lab, notJson);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("is not JSON");
    const usage = await execa(STATENET, ["run", "--bogus"], { reject: false });
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr).toContain("Try 'statenet run --help'.");
  });
});
