import { execa } from "execa";
import { expect, it } from "vitest";
import type { Lab } from "../../lab/namespace-lab.js";
import { describeAsRoot } from "../support/root.js";
import {
  type DaemonConfigWriter,
  runStatenetDaemon,
  STATENET,
  useCliLab,
} from "../support/statenet-cli.js";
import { waitUntil } from "../support/wait.js";

/**
 * statenet changes only what it owns: its protocol-222 rules and routes, and
 * default routes on the interfaces it manages. What someone else set up on
 * another interface survives its start, its run and its stop.
 */
describeAsRoot("route ownership (the CLI daemon in a namespace)", () => {
  let lab: Lab;
  let daemonConfig: DaemonConfigWriter;
  useCliLab("ownership", { uplinks: ["eth0", "wlan0"] }, (fixture) => {
    ({ lab, daemonConfig } = fixture);
  });

  const ip = (args: string[]) => lab.exec(lab.deviceNs, "ip", args);

  /** Someone else's wlan0: an address, a default route in main, a rule and a table of its own. */
  async function setUpOthersWlan0(): Promise<string[]> {
    const wlan0 = lab.uplink("wlan0");
    await ip(["addr", "replace", `${wlan0.deviceAddress}/24`, "dev", "wlan0"]);
    await ip(["route", "replace", "default", "via", wlan0.routerAddress, "dev", "wlan0"]);
    await ip(["rule", "add", "from", wlan0.deviceAddress, "lookup", "200", "pref", "300"]);
    await ip(["route", "replace", "default", "via", wlan0.routerAddress, "table", "200"]);
    return othersEntries();
  }

  async function othersEntries(): Promise<string[]> {
    const [main, rules, table] = await Promise.all([
      ip(["-4", "route", "show", "table", "main", "dev", "wlan0"]),
      ip(["-4", "rule", "show", "pref", "300"]),
      ip(["-4", "route", "show", "table", "200"]),
    ]);
    return [main.stdout, rules.stdout, table.stdout];
  }

  it("leaves another interface's default route, rule and table alone from start to stop, and says when it outranks its own", async () => {
    const before = await setUpOthersWlan0();
    expect(before[0]).toContain(`default via ${lab.uplink("wlan0").routerAddress}`);
    // A stale default route on eth0, which statenet is about to manage: that one goes.
    const eth0 = lab.uplink("eth0");
    await ip([
      "route",
      "add",
      "default",
      "via",
      eth0.routerAddress,
      "dev",
      "eth0",
      "metric",
      "7",
      "onlink",
    ]);
    const { configPath } = await daemonConfig("owner", {
      interfaces: { eth0: lab.staticConfig("eth0") },
    });
    const daemon = runStatenetDaemon(lab, configPath);
    let output = "";
    daemon.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    try {
      // The daemon's first route waits for node to start it, seconds on a loaded machine.
      await waitUntil(
        "statenet's default route on eth0",
        async () =>
          (await ip(["-4", "route", "show", "default", "dev", "eth0"])).stdout.includes(
            "proto 222",
          ),
        30_000,
      );
      await waitUntil("eth0's stale default route removed", async () =>
        (await ip(["-4", "route", "show", "default", "dev", "eth0"])).stdout
          .split("\n")
          .every((line) => line.includes("proto 222")),
      );
      expect(await othersEntries()).toEqual(before);
      // wlan0's metric 0 beats eth0's 10: traffic follows it, and statenet says so.
      expect((await lab.routeGet("203.0.113.53")).dev).toBe("wlan0");
      await waitUntil("the outranking route logged", () =>
        output.includes("outranks its own; traffic follows it"),
      );
      const info = await execa(STATENET, ["info", "--config", configPath], { reject: false });
      expect(info.stdout).toMatch(
        new RegExp(
          `^not managed +default via ${lab.uplink("wlan0").routerAddress.replaceAll(".", "\\.")} dev wlan0 metric 0 \\(outranks`,
          "m",
        ),
      );
    } finally {
      daemon.kill("SIGTERM");
    }
    expect((await daemon).exitCode).toBe(0);
    expect(await othersEntries()).toEqual(before);
    const warnings = output
      .split("\n")
      .filter((line) => line.includes("outranks its own"))
      .map((line) => JSON.parse(line) as { level: number });
    expect(warnings.map((line) => line.level)).toEqual([40]);
  }, 30_000);

  it("with no interfaces configured, touches nothing at all", async () => {
    // What the first run left behind is statenet's own, which a run without
    // interfaces rightly removes: start from a kernel with only others' entries.
    await ip(["-4", "route", "flush", "table", "all", "proto", "222"]);
    await ip(["-4", "rule", "flush", "protocol", "222"]);
    const before = await othersEntries();
    const all = async () => (await ip(["-4", "route", "show", "table", "all"])).stdout;
    const routesBefore = await all();
    const { configPath } = await daemonConfig("nothing", { interfaces: {} });
    const daemon = runStatenetDaemon(lab, configPath);
    let output = "";
    daemon.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    try {
      await waitUntil("the daemon running", () => output.includes('"statenet running"'));
      // The route manager has read the kernel and settled on nothing to do.
      await waitUntil("routes published", async () => {
        const get = await execa(STATENET, ["get", "connection", "--config", configPath], {
          reject: false,
        });
        return get.stdout.includes("disconnected");
      });
    } finally {
      daemon.kill("SIGTERM");
    }
    expect((await daemon).exitCode).toBe(0);
    expect(output).not.toMatch(/"route (del|replace)/);
    expect(await othersEntries()).toEqual(before);
    expect(await all()).toBe(routesBefore);
  }, 30_000);
});
