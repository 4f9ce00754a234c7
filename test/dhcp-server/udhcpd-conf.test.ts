import { describe, expect, it } from "vitest";
import type { DhcpdConfig } from "../../src/dhcp-server/schema.js";
import {
  UdhcpdConfigError,
  udhcpdArguments,
  udhcpdConf,
} from "../../src/dhcp-server/udhcpd-conf.js";

const files = {
  leaseFile: "/run/statenet/udhcpd-eth0.leases",
  pidFile: "/run/statenet/udhcpd-eth0.pid",
};
const on = (dhcpd: DhcpdConfig, extra: Record<string, unknown> = {}) => ({
  ifname: "eth0",
  address: "192.0.2.1",
  prefixLength: 24,
  dhcpd,
  ...files,
  ...extra,
});

function refusal(run: () => unknown): { field: string; message: string } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UdhcpdConfigError);
    return { field: (error as UdhcpdConfigError).field, message: (error as Error).message };
  }
  throw new Error("expected a UdhcpdConfigError");
}

describe("udhcpd.conf", () => {
  it("writes every setting and option of a full config", () => {
    const text = udhcpdConf(
      on({
        start: "192.0.2.10",
        end: "192.0.2.50",
        leaseSeconds: 3600,
        options: {
          router: ["192.0.2.1"],
          dns: ["192.0.2.1", "198.51.100.53"],
          domain: "lab.example",
          search: ["lab.example", "example.org"],
          mtu: 1400,
        },
        staticLeases: [
          { mac: "02:00:00:00:00:0A", address: "192.0.2.5" },
          { mac: "02:00:00:00:00:0b", address: "192.0.2.60" },
        ],
      }),
    );
    expect(text).toBe(
      [
        "# busybox udhcpd on eth0, written by statenet (rewritten at every start)",
        "interface eth0",
        "start 192.0.2.10",
        "end 192.0.2.50",
        "max_leases 41",
        "lease_file /run/statenet/udhcpd-eth0.leases",
        "pidfile /run/statenet/udhcpd-eth0.pid",
        "auto_time 30",
        "decline_time 60",
        "conflict_time 60",
        "opt lease 3600",
        "opt subnet 255.255.255.0",
        "opt router 192.0.2.1",
        "opt dns 192.0.2.1 198.51.100.53",
        "opt domain lab.example",
        "opt search lab.example example.org",
        "opt mtu 1400",
        "static_lease 02:00:00:00:00:0a 192.0.2.5",
        "static_lease 02:00:00:00:00:0b 192.0.2.60",
        "",
      ].join("\n"),
    );
  });

  it("gives a day's lease, the prefix's netmask and no options that were not asked for", () => {
    const text = udhcpdConf(
      on(
        { start: "198.51.100.2", end: "198.51.100.2" },
        { address: "198.51.100.1", prefixLength: 30, leaseWriteSeconds: 5 },
      ),
    );
    expect(text).toContain("max_leases 1\n");
    expect(text).toContain("auto_time 5\n");
    expect(text).toContain("opt lease 86400\nopt subnet 255.255.255.252\n");
    expect(text).not.toMatch(/opt (router|dns|domain|search|mtu)|static_lease/);
  });

  it("writes the netmask asked for instead of the prefix's", () => {
    const text = udhcpdConf(
      on({ start: "192.0.2.2", end: "192.0.2.14", options: { subnet: "255.255.255.240" } }),
    );
    expect(text).toContain("opt subnet 255.255.255.240\n");
    expect(text).toContain("max_leases 13\n");
  });

  it("keeps udhcpd's lease table small for a huge range", () => {
    const text = udhcpdConf(
      on({ start: "10.0.0.2", end: "10.255.255.254" }, { address: "10.0.0.1", prefixLength: 8 }),
    );
    expect(text).toContain("max_leases 1024\n");
  });

  it("refuses what the schema or the interface's address refuses, naming the field", () => {
    expect(
      refusal(() =>
        udhcpdConf(
          on({
            start: "192.0.2.10",
            end: "192.0.2.50",
            staticLeases: [{ mac: "02:00:00:00:00:01\nopt dns 203.0.113.1", address: "192.0.2.5" }],
          }),
        ),
      ).field,
    ).toBe("dhcpd.staticLeases.0.mac");
    expect(
      refusal(() =>
        udhcpdConf(on({ start: "192.0.2.10", end: "192.0.2.50", options: { domain: "a b" } })),
      ).field,
    ).toBe("dhcpd.options.domain");
    expect(refusal(() => udhcpdConf(on({ start: "192.0.2.1", end: "192.0.2.50" })))).toEqual({
      field: "dhcpd.start",
      message:
        "udhcpd dhcpd.start: start..end (192.0.2.1..192.0.2.50) must not include the interface's own address 192.0.2.1: udhcpd would give it to a client that asks for it",
    });
  });

  it("refuses paths udhcpd.conf cannot hold and a bad interface name", () => {
    const dhcpd = { start: "192.0.2.10", end: "192.0.2.50" };
    expect(refusal(() => udhcpdConf(on(dhcpd, { leaseFile: "leases" }))).field).toBe("leaseFile");
    expect(refusal(() => udhcpdConf(on(dhcpd, { pidFile: "/run/a b.pid" }))).field).toBe("pidFile");
    expect(refusal(() => udhcpdConf(on(dhcpd, { leaseFile: "/run/#x" }))).field).toBe("leaseFile");
    expect(refusal(() => udhcpdConf(on(dhcpd, { leaseWriteSeconds: 0 }))).field).toBe(
      "leaseWriteSeconds",
    );
    expect(() => udhcpdConf(on(dhcpd, { ifname: "eth0\ninterface" }))).toThrow(/interface name/);
  });
});

describe("udhcpd's command line", () => {
  it("runs in the foreground with our address and a short ARP probe", () => {
    expect(
      udhcpdArguments({ address: "192.0.2.1", configPath: "/run/statenet/udhcpd-eth0.conf" }),
    ).toEqual(["-f", "-I", "192.0.2.1", "-a", "100", "/run/statenet/udhcpd-eth0.conf"]);
    expect(
      udhcpdArguments({ address: "192.0.2.1", configPath: "/c.conf", arpProbeMs: 0 }).slice(3, 5),
    ).toEqual(["-a", "0"]);
  });

  it("refuses an address udhcpd would look up as a name, and odd probe times", () => {
    expect(
      refusal(() => udhcpdArguments({ address: "router.example", configPath: "/c.conf" })).field,
    ).toBe("address");
    expect(
      refusal(() =>
        udhcpdArguments({ address: "192.0.2.1", configPath: "/c.conf", arpProbeMs: -1 }),
      ).field,
    ).toBe("arpProbeMs");
    expect(
      refusal(() => udhcpdArguments({ address: "192.0.2.1", configPath: "c.conf" })).field,
    ).toBe("configPath");
  });
});
