import { describe, expect, it } from "vitest";
import type { UdhcpdDaemonSpec } from "../../../src/dhcp-server/udhcpd.js";
import { udhcpdConf } from "../../../src/dhcp-server/udhcpd-conf.js";
import type { DnsdDaemonSpec } from "../../../src/dns-server/dnsd.js";
import { directTechnology } from "../../../src/technologies/direct/index.js";
import { directPlan } from "../../../src/technologies/direct/plan.js";
import { directConfigSchema } from "../../../src/technologies/direct/schema.js";
import { derivedDirectAddresses } from "../../../src/technologies/direct/subnet.js";

function problems(input: unknown): Array<[string, string]> {
  const result = directConfigSchema.safeParse(input);
  return result.success
    ? []
    : result.error.issues.map((issue) => [issue.path.join("."), issue.message]);
}

describe("direct config", () => {
  it("takes {type: direct} alone, an address, a /31, a host name and dnsd", () => {
    expect(problems({ type: "direct" })).toEqual([]);
    expect(
      problems({ type: "direct", direct: { address: "192.0.2.1", prefixLength: 30 } }),
    ).toEqual([]);
    expect(problems({ type: "direct", direct: { address: "192.0.2.1" } })).toEqual([]);
    expect(
      problems({ type: "direct", direct: { address: "192.0.2.0", prefixLength: 31 } }),
    ).toEqual([]);
    expect(problems({ type: "direct", direct: { hostname: "kiosk-7" }, dnsd: {} })).toEqual([]);
  });

  it("names the field of a bad address, prefix length or host name", () => {
    expect(
      problems({ type: "direct", direct: { address: "192.0.2.0", prefixLength: 30 } }),
    ).toEqual([
      [
        "direct.address",
        expect.stringMatching(
          /host addresses of 192\.0\.2\.0\/30 \(192\.0\.2\.1 or 192\.0\.2\.2\)/,
        ),
      ],
    ]);
    expect(problems({ type: "direct", direct: { address: "192.0.2.3" } })).toEqual([
      ["direct.address", expect.stringMatching(/network and broadcast/)],
    ]);
    expect(
      problems({ type: "direct", direct: { address: "192.0.2.1", prefixLength: 24 } }),
    ).toEqual([["direct.prefixLength", expect.stringMatching(/must be 30 or 31/)]]);
    expect(problems({ type: "direct", direct: { prefixLength: 30 } })).toEqual([
      ["direct.address", expect.stringMatching(/required with prefixLength/)],
    ]);
    expect(problems({ type: "direct", direct: { address: "224.0.0.1" } })).toEqual([
      ["direct.address", expect.stringMatching(/unicast host address/)],
    ]);
    expect(problems({ type: "direct", direct: { address: "192.0.2" } })).toEqual([
      ["direct.address", 'not an IPv4 address: "192.0.2"'],
    ]);
    expect(problems({ type: "direct", direct: { hostname: "my_host" } })).toEqual([
      ["direct.hostname", expect.stringMatching(/must be a host name/)],
    ]);
    expect(
      problems({ type: "direct", dnsd: { records: [{ name: "a b", address: "192.0.2.1" }] } }),
    ).toEqual([["dnsd.records.0.name", expect.stringMatching(/must be a host name/)]]);
    expect(problems({ type: "direct", gateway: "192.0.2.1" })).toEqual([
      ["", expect.stringMatching(/gateway/)],
    ]);
  });
});

const udhcpd = (plan: ReturnType<typeof directPlan>) =>
  plan.daemons.find((daemon) => daemon.kind === "udhcpd") as UdhcpdDaemonSpec | undefined;
const dnsd = (plan: ReturnType<typeof directPlan>) =>
  plan.daemons.find((daemon) => daemon.kind === "dnsd") as DnsdDaemonSpec | undefined;

describe("direct plan", () => {
  it("puts the address on, serves the peer the other one, and stays LAN-only", () => {
    const plan = directPlan(
      "usb0",
      { type: "direct", direct: { address: "192.0.2.1", prefixLength: 30 } },
      "nerves-1234",
    );
    expect(plan.up.at(-1)).toEqual({
      kind: "ipv4_addresses",
      ifname: "usb0",
      addresses: [{ address: "192.0.2.1", prefixLength: 30 }],
    });
    expect(plan.staticIpv4).toEqual({
      addresses: [{ address: "192.0.2.1", prefixLength: 30 }],
      gateway: undefined,
      nameServers: [],
      domain: undefined,
    });
    expect(plan.reaches).toBe("lan");
    expect(plan.routeClass).toBe("unknown");
    expect(plan.daemons).toEqual([
      {
        kind: "udhcpd",
        ifname: "usb0",
        address: "192.0.2.1",
        prefixLength: 30,
        dhcpd: { start: "192.0.2.2", end: "192.0.2.2" },
        forgetLeasesOnCarrierLoss: true,
      },
    ]);
  });

  it("gives udhcpd a config it accepts, with no router for the peer", () => {
    for (const [address, prefixLength] of [
      ["192.0.2.2", 30],
      ["198.51.100.6", 31],
    ] as const) {
      const spec = udhcpd(
        directPlan("usb0", { type: "direct", direct: { address, prefixLength } }, "x"),
      );
      if (!spec) throw new Error("no udhcpd");
      const conf = udhcpdConf({ ...spec, leaseFile: "/run/l", pidFile: "/run/p" });
      expect(conf).toContain(`start ${spec.dhcpd.start}\nend ${spec.dhcpd.start}\nmax_leases 1\n`);
      expect(conf).not.toMatch(/opt router/);
      expect(conf).toContain(
        prefixLength === 30 ? "opt subnet 255.255.255.252" : "opt subnet 255.255.255.254",
      );
    }
  });

  it("derives the /30 from the host name and the interface, direct.hostname first", () => {
    const derived = derivedDirectAddresses("nerves-1234", "usb0");
    const plan = directPlan("usb0", { type: "direct" }, "nerves-1234");
    expect(plan.staticIpv4?.addresses).toEqual([{ address: derived.address, prefixLength: 30 }]);
    expect(udhcpd(plan)?.dhcpd).toEqual({ start: derived.peer, end: derived.peer });
    const renamed = directPlan(
      "usb0",
      { type: "direct", direct: { hostname: "kiosk-7" } },
      "nerves-1234",
    );
    expect(renamed.staticIpv4?.addresses[0]?.address).toBe(
      derivedDirectAddresses("kiosk-7", "usb0").address,
    );
  });

  it("with dnsd answers the device's own name, and tells the peer to ask it", () => {
    const plan = directPlan(
      "usb0",
      {
        type: "direct",
        direct: { address: "192.0.2.1" },
        dnsd: { records: [{ name: "printer.lan", address: "192.0.2.9" }] },
      },
      "nerves-1234",
    );
    expect(dnsd(plan)).toEqual({
      kind: "dnsd",
      ifname: "usb0",
      address: "192.0.2.1",
      port: 53,
      ttlSeconds: 120,
      records: [
        { name: "printer.lan", address: "192.0.2.9" },
        { name: "nerves-1234", address: "192.0.2.1" },
      ],
    });
    expect(udhcpd(plan)?.dhcpd.options).toEqual({ dns: ["192.0.2.1"] });
  });

  it("answers a record of the device's own name as configured, and skips a name DNS cannot carry", () => {
    const own = directPlan(
      "usb0",
      { type: "direct", dnsd: { records: [{ name: "NERVES-1234", address: "192.0.2.77" }] } },
      "nerves-1234",
    );
    expect(dnsd(own)?.records).toEqual([{ name: "NERVES-1234", address: "192.0.2.77" }]);
    expect(dnsd(directPlan("usb0", { type: "direct", dnsd: {} }, "my_host"))?.records).toEqual([]);
  });

  it("tells the peer of no name server when dnsd listens elsewhere than port 53", () => {
    const plan = directPlan("usb0", { type: "direct", dnsd: { port: 5353 } }, "nerves-1234");
    expect(dnsd(plan)?.port).toBe(5353);
    expect(udhcpd(plan)?.dhcpd.options).toBeUndefined();
  });

  it("reads the host name at every plan", () => {
    let name = "first";
    const technology = directTechnology({ hostname: () => name });
    const before = technology.plan("usb0", { type: "direct" });
    name = "second";
    expect(technology.plan("usb0", { type: "direct" }).staticIpv4).not.toEqual(before.staticIpv4);
  });
});
