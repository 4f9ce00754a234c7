import { describe, expect, it } from "vitest";
import { ConfigError, parseInterfaceConfig } from "../../../src/config/validate.js";
import { builtinPlanner } from "../../../src/technologies/builtin.js";

const PSK = "correct horse battery";

function problems(config: unknown): string[] {
  try {
    parseInterfaceConfig("wlan0", config);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

describe("wifi technology", () => {
  it("a client: wpa_supplicant, then the DHCP client; ranked as WiFi whatever its name", () => {
    const config = parseInterfaceConfig("uplink0", {
      type: "wifi",
      wifi: { networks: [{ ssid: "lab", keyMgmt: "wpa_psk", psk: PSK }] },
      ipv4: { method: "dhcp" },
    });
    const plan = builtinPlanner("uplink0", config);
    expect(plan.routeClass).toBe("wifi");
    expect(plan.reaches).toBe("internet");
    expect(plan.daemons.map((daemon) => daemon.kind)).toEqual(["wifi", "udhcpc"]);
    expect(plan.daemons[0]).toMatchObject({ mode: "client", regulatoryDomain: "00" });
  });

  it("hands the WiFi machine the config's timings", () => {
    const config = parseInterfaceConfig("wlan0", {
      type: "wifi",
      wifi: { networks: [], timings: { pingTimeoutMs: 10_000 } },
      ipv4: { method: "dhcp" },
    });
    expect(builtinPlanner("wlan0", config).daemons[0]).toMatchObject({
      timings: { pingTimeoutMs: 10_000 },
    });
  });

  it("an access point: LAN-only, with a DHCP server for its stations", () => {
    const config = parseInterfaceConfig("wlan0", {
      type: "wifi",
      wifi: {
        regulatoryDomain: "DE",
        networks: [{ mode: "ap", ssid: "device-setup", keyMgmt: "wpa_psk", psk: PSK }],
      },
      ipv4: { method: "static", address: "192.0.2.1", prefixLength: 24 },
      dhcpd: { start: "192.0.2.10", end: "192.0.2.50" },
    });
    const plan = builtinPlanner("wlan0", config);
    expect(plan.reaches).toBe("lan");
    expect(plan.daemons.map((daemon) => daemon.kind)).toEqual(["wifi", "udhcpd"]);
    expect(plan.daemons[0]).toMatchObject({ mode: "ap", regulatoryDomain: "DE" });
    expect(plan.daemons[1]).toMatchObject({ address: "192.0.2.1", prefixLength: 24 });
  });

  it("refuses a DHCP server without a static address, or with a range off its subnet, naming the field", () => {
    const ap = { mode: "ap", ssid: "x", keyMgmt: "none" };
    expect(
      problems({
        type: "wifi",
        wifi: { networks: [ap] },
        ipv4: { method: "dhcp" },
        dhcpd: { start: "192.0.2.10", end: "192.0.2.50" },
      }),
    ).toEqual([expect.stringMatching(/^interfaces\.wlan0\.dhcpd: needs ipv4\.method static/)]);
    expect(
      problems({
        type: "wifi",
        wifi: { networks: [ap] },
        ipv4: { method: "static", address: "192.0.2.1", prefixLength: 24 },
        dhcpd: { start: "198.51.100.10", end: "198.51.100.50" },
      }),
    ).toEqual(
      expect.arrayContaining([expect.stringMatching(/^interfaces\.wlan0\.dhcpd\.start: /)]),
    );
  });

  it("names the unknown technology list with wifi in it", () => {
    expect(problems({ type: "wimax" })).toEqual([
      "interfaces.wlan0.type: unknown technology; must be one of ethernet, wifi, direct, mobile, null",
    ]);
  });
});
