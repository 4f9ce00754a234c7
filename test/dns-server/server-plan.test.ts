import { describe, expect, it } from "vitest";
import { ethernetPlan } from "../../src/technologies/ethernet/plan.js";
import { ethernetConfigSchema } from "../../src/technologies/ethernet/schema.js";
import { wifiConfigSchema } from "../../src/technologies/wifi/config.js";

const staticIpv4 = { method: "static", address: "192.0.2.1", prefixLength: 24 } as const;
const dhcpd = { start: "192.0.2.100", end: "192.0.2.150" };
const records = [{ name: "device.lan", address: "192.0.2.1" }];

function problems(schema: typeof ethernetConfigSchema | typeof wifiConfigSchema, input: unknown) {
  const result = schema.safeParse(input);
  return result.success
    ? []
    : result.error.issues.map((issue) => [issue.path.join("."), issue.message]);
}

describe("dnsd on static Ethernet and WiFi", () => {
  it("is a daemon on the static address with VintageNet's defaults (port 53, TTL 120)", () => {
    const plan = ethernetPlan("eth0", { type: "ethernet", ipv4: staticIpv4, dnsd: { records } });
    expect(plan.daemons).toEqual([
      { kind: "dnsd", ifname: "eth0", address: "192.0.2.1", port: 53, ttlSeconds: 120, records },
    ]);
  });

  it("makes udhcpd tell clients of it, unless dhcpd names its own name servers (even none)", () => {
    const served = (config: Record<string, unknown>) =>
      ethernetPlan("eth0", { type: "ethernet", ipv4: staticIpv4, dhcpd, ...config }).daemons.find(
        (daemon) => daemon.kind === "udhcpd",
      ) as { dhcpd: { options?: unknown } } | undefined;
    expect(served({ dnsd: { records } })?.dhcpd.options).toEqual({ dns: ["192.0.2.1"] });
    expect(served({})?.dhcpd.options).toBeUndefined();
    expect(
      served({
        dnsd: { records },
        dhcpd: { ...dhcpd, options: { dns: ["192.0.2.53"], domain: "lan" } },
      })?.dhcpd.options,
    ).toEqual({ dns: ["192.0.2.53"], domain: "lan" });
    expect(
      served({ dnsd: { records }, dhcpd: { ...dhcpd, options: { dns: [] } } })?.dhcpd.options,
    ).toEqual({
      dns: [],
    });
    expect(served({ dnsd: { records, port: 5300 } })?.dhcpd.options).toBeUndefined();
  });

  it("needs a static address and records; errors name the field", () => {
    for (const schema of [ethernetConfigSchema, wifiConfigSchema]) {
      const base =
        schema === ethernetConfigSchema
          ? { type: "ethernet" }
          : { type: "wifi", wifi: { networks: [{ ssid: "ap", mode: "ap" }] } };
      expect(problems(schema, { ...base, ipv4: staticIpv4, dnsd: { records } })).toEqual([]);
      expect(problems(schema, { ...base, ipv4: { method: "dhcp" }, dnsd: { records } })).toEqual([
        ["dnsd", expect.stringMatching(/needs ipv4.method static/)],
      ]);
      expect(problems(schema, { ...base, ipv4: staticIpv4, dnsd: {} })).toEqual([
        ["dnsd.records", expect.stringMatching(/at least one/)],
      ]);
      expect(
        problems(schema, {
          ...base,
          ipv4: staticIpv4,
          dnsd: { records: [{ name: "x", address: "300.1.1.1" }], ttl: -1, port: 0, extra: 1 },
        }).map(([path]) => path),
      ).toEqual(["dnsd.records.0.address", "dnsd.ttl", "dnsd.port", "dnsd"]);
    }
  });
});
