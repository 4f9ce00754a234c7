import { describe, expect, it } from "vitest";
import { describeReload, planReload } from "../../src/config/reload.js";
import { parseConfig } from "../../src/config/validate.js";

const dhcp = { type: "ethernet", ipv4: { method: "dhcp" } } as const;
const off = { type: "ethernet", ipv4: { method: "disabled" } } as const;
const host = (name: string) => ({ host: name, port: 443 });

describe("reloading the configuration file", () => {
  it("touches only interfaces whose entry changed, and of those not the ones set at run time", () => {
    const running = parseConfig({ interfaces: { eth0: dhcp, wlan0: dhcp, wwan0: dhcp } });
    const file = parseConfig({ interfaces: { eth0: dhcp, wlan0: off, usb0: dhcp } });
    const plan = planReload(running, file, new Set(["usb0", "eth0"]));
    // wlan0 changed, wwan0 left the file; usb0 is new but set at run time; eth0 did not change.
    expect([...plan.interfaces]).toEqual([
      ["wlan0", file.interfaces.wlan0],
      ["wwan0", undefined],
    ]);
    expect(plan.applied).toEqual(["wlan0", "wwan0"]);
    expect(plan.keptRuntime).toEqual(["usb0"]);
    // `reset` then applies the new file's entry.
    expect(plan.config.interfaces).toEqual(file.interfaces);
  });

  it("applies internetHosts and additionalNameServers at once; other settings keep their running value", () => {
    const running = parseConfig({ internetHosts: [host("a.example")], tmpDir: "/run/a" });
    const file = parseConfig({
      internetHosts: [host("b.example")],
      additionalNameServers: ["192.0.2.53"],
      tmpDir: "/run/b",
      stateDir: "/var/lib/b",
    });
    const plan = planReload(running, file, new Set());
    expect(plan.appliedSettings).toEqual(["internetHosts", "additionalNameServers"]);
    expect(plan.needsRestart).toEqual(["stateDir", "tmpDir"]);
    expect(plan.config).toEqual({ ...file, tmpDir: "/run/a", stateDir: running.stateDir });
  });

  it("needs a restart for internetHosts that come or go: checkers start and stop with them", () => {
    // [] turns the checks off; left out, the default hosts are checked.
    const without = parseConfig({ internetHosts: [] });
    expect(planReload(without, parseConfig({}), new Set()).needsRestart).toEqual(["internetHosts"]);
    const withHosts = parseConfig({ internetHosts: [host("a.example")] });
    expect(planReload(without, withHosts, new Set()).needsRestart).toEqual(["internetHosts"]);
    expect(planReload(withHosts, without, new Set()).needsRestart).toEqual(["internetHosts"]);
  });

  it("says what changed, or that nothing did", () => {
    const running = parseConfig({ interfaces: { eth0: dhcp } });
    expect(describeReload(planReload(running, running, new Set()))).toBe("nothing changed");
    const file = parseConfig({ interfaces: { eth0: off }, tmpDir: "/run/b" });
    expect(describeReload(planReload(running, file, new Set(["eth0"])))).toBe(
      [
        "eth0: changed in the file; the configuration set at run time stays (`statenet reset eth0` applies the file's)",
        "tmpDir: changed in the file; needs a restart",
      ].join("\n"),
    );
  });
});
