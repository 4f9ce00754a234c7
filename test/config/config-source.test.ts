import { describe, expect, it } from "vitest";
import {
  ConfigSources,
  describeConfigSource,
  NotConfiguredError,
  overridesFile,
} from "../../src/config/config-source.js";
import type { InterfaceConfig } from "../../src/config/schema.js";
import { createNetworkManager } from "../../src/network-manager.js";
import { PropertyTable } from "../../src/properties/property-table.js";

const DHCP: InterfaceConfig = { type: "ethernet", ipv4: { method: "dhcp" } };
const NULL: InterfaceConfig = { type: "null" };
const SAVED_AT = "2026-12-01T12:00:00.000Z";

describe("where an interface's configuration came from", () => {
  it("is the file until something is set at run time, and the file again after a reset", () => {
    const properties = new PropertyTable();
    const file: Record<string, InterfaceConfig> = { eth0: DHCP };
    const sources = new ConfigSources(properties, () => file);
    const property = () => properties.get(["interface", "eth0", "config_source"]);

    expect(sources.sourceOf("eth0")).toEqual({ from: "file" });
    expect(sources.sourceOf("eth1")).toBeUndefined();
    sources.publish("eth0");
    expect(property()).toEqual({ from: "file" });

    sources.setRuntime("eth0", SAVED_AT);
    expect(property()).toEqual({ from: "saved", savedAt: SAVED_AT });
    expect(sources.info("eth0", NULL)).toEqual({
      from: "saved",
      savedAt: SAVED_AT,
      overridesFile: true,
    });
    sources.setRuntime("eth0", undefined);
    expect(property()).toEqual({ from: "runtime" });

    sources.backToFile("eth0");
    expect(property()).toEqual({ from: "file" });
    expect(sources.info("eth0", DHCP)).toEqual({ from: "file", overridesFile: false });

    // One only set at run time, and one the file gains later (a reload): both have a source.
    sources.setRuntime("eth1", SAVED_AT);
    file.wlan0 = DHCP;
    expect(sources.names().sort()).toEqual(["eth0", "eth1", "wlan0"]);
    expect(sources.info("eth1", DHCP)).toMatchObject({ overridesFile: false });
  });

  it("overrides the file only where the file says something else", () => {
    expect(overridesFile(DHCP, DHCP)).toBe(false);
    expect(overridesFile(DHCP, { type: "ethernet", ipv4: { method: "dhcp" } })).toBe(false);
    expect(overridesFile(DHCP, NULL)).toBe(true);
    // Deconfigured at run time while the file configures it.
    expect(overridesFile(DHCP, undefined)).toBe(true);
    // The file has nothing to override.
    expect(overridesFile(undefined, DHCP)).toBe(false);
  });

  it.each([
    [{ from: "file", overridesFile: false } as const, true, "the configuration file"],
    [
      { from: "saved", savedAt: SAVED_AT, overridesFile: true } as const,
      true,
      `saved at run time ${SAVED_AT} (overrides the file)`,
    ],
    [
      { from: "saved", savedAt: SAVED_AT, overridesFile: false } as const,
      false,
      `deconfigured at run time, saved ${SAVED_AT}`,
    ],
    [{ from: "runtime", overridesFile: false } as const, true, "given at run time, not saved"],
    [
      { from: "runtime", overridesFile: true } as const,
      false,
      "deconfigured at run time, not saved (overrides the file)",
    ],
  ])("reads %j (configured: %s) as %j", (source, configured, text) => {
    expect(describeConfigSource(source, configured)).toBe(text);
  });
});

describe("deconfigure", () => {
  it("refuses an interface that nothing configures, and takes one the file names", async () => {
    // Not started: nothing reaches a kernel, and without a store nothing is saved.
    const manager = createNetworkManager({ config: { interfaces: { eth0: DHCP } } });
    const refused = manager.deconfigure("eth7");
    await expect(refused).rejects.toBeInstanceOf(NotConfiguredError);
    await expect(refused).rejects.toThrow("interface eth7 is not configured");
    await manager.deconfigure("eth0");
    expect(manager.getConfiguration("eth0")).toBeUndefined();
    // Deconfigured already, but the file names it: nothing to refuse.
    await manager.deconfigure("eth0");
    await manager.configure("eth7", NULL, { persist: false });
    await manager.deconfigure("eth7", { persist: false });
    await expect(manager.deconfigure("eth7")).rejects.toBeInstanceOf(NotConfiguredError);
  });
});
