import { describe, expect, it } from "vitest";
import {
  type DhcpLeaseEvent,
  DhcpReportError,
  dhcpOptionsOf,
  parseDhcpReport,
} from "../../src/dhcp/lease-event.js";
import { BOUND } from "../support/udhcpc-report.js";

function rejection(report: Record<string, string>): DhcpReportError {
  try {
    parseDhcpReport(report);
  } catch (error) {
    expect(error).toBeInstanceOf(DhcpReportError);
    return error as DhcpReportError;
  }
  throw new Error(`accepted ${JSON.stringify(report)}`);
}

describe("parseDhcpReport", () => {
  it("reads a bound lease with everything udhcpc passes", () => {
    expect(parseDhcpReport(BOUND)).toEqual({
      kind: "bound",
      ifname: "eth0",
      address: "192.0.2.133",
      prefixLength: 24,
      routers: ["192.0.2.1"],
      nameServers: ["192.0.2.1", "192.0.2.2"],
      domain: "lab.test",
      leaseSeconds: 30,
      serverId: "192.0.2.1",
    });
  });

  it("reads a renew like a bound", () => {
    expect(parseDhcpReport({ ...BOUND, event: "renew" })).toMatchObject({
      kind: "renew",
      address: "192.0.2.133",
      prefixLength: 24,
    });
  });

  it.each(["deconfig", "leasefail", "nak"])("reads %s with only the interface", (event) => {
    expect(parseDhcpReport({ event, interface: "wlan0", ip: "", router: "" })).toEqual({
      kind: event,
      ifname: "wlan0",
    });
  });

  it("leaves out what the server did not send", () => {
    const event = parseDhcpReport({
      event: "bound",
      interface: "eth0",
      ip: "10.1.2.3",
      mask: "8",
      router: "",
      dns: "",
      domain: "",
      lease: "",
    });
    expect(event).toEqual({
      kind: "bound",
      ifname: "eth0",
      address: "10.1.2.3",
      prefixLength: 8,
      routers: [],
      nameServers: [],
    });
  });

  it("takes the prefix from subnet alone, or from mask alone", () => {
    const { mask: _mask, ...subnetOnly } = BOUND;
    const { subnet: _subnet, ...maskOnly } = BOUND;
    expect(parseDhcpReport({ ...subnetOnly, subnet: "255.255.252.0" })).toMatchObject({
      prefixLength: 22,
    });
    expect(parseDhcpReport({ ...maskOnly, mask: "32" })).toMatchObject({ prefixLength: 32 });
  });

  it("tolerates extra spaces between list entries and a root dot on the domain", () => {
    expect(
      parseDhcpReport({ ...BOUND, dns: " 192.0.2.1  192.0.2.2 ", domain: "lab.test." }),
    ).toMatchObject({ nameServers: ["192.0.2.1", "192.0.2.2"], domain: "lab.test" });
  });

  it.each([
    ["event", { event: "" }],
    ["event", { event: "BOUND" }],
    ["event", { event: "leasefail; reboot" }],
    ["interface", { interface: "" }],
    ["interface", { interface: "eth0;rm -rf" }],
    ["interface", { interface: "averyveryverylongname" }],
    ["interface", { interface: "eth0:1" }],
    ["ip", { ip: "" }],
    ["ip", { ip: "192.0.2.256" }],
    ["ip", { ip: "192.0.2" }],
    ["ip", { ip: "0.0.0.0" }],
    ["ip", { ip: "127.0.0.1" }],
    ["ip", { ip: "224.0.0.1" }],
    ["ip", { ip: "255.255.255.255" }],
    ["ip", { ip: " 192.0.2.10" }],
    ["mask", { mask: "0" }],
    ["mask", { mask: "33" }],
    ["mask", { mask: "24x" }],
    ["mask", { mask: "-1" }],
    ["subnet", { subnet: "255.0.255.0" }],
    ["subnet", { subnet: "0.0.0.0" }],
    ["subnet", { subnet: "255.255.255" }],
    ["subnet", { subnet: "255.255.0.0" }],
    ["router", { router: "192.0.2.1 192.0.2.300" }],
    ["router", { router: "gateway" }],
    ["router", { router: "192.0.2.1,192.0.2.2" }],
    ["dns", { dns: "192.0.2.1 evil" }],
    ["dns", { dns: "192.0.2.1\nnameserver 203.0.113.66" }],
    ["dns", { dns: "0.0.0.0" }],
    ["domain", { domain: "lab.test\nnameserver 203.0.113.66" }],
    ["domain", { domain: "lab test" }],
    ["domain", { domain: "-lab.test" }],
    ["domain", { domain: "lab..test" }],
    ["domain", { domain: `${"a".repeat(64)}.test` }],
    ["domain", { domain: "." }],
    ["lease", { lease: "0" }],
    ["lease", { lease: "-5" }],
    ["lease", { lease: "1.5" }],
    ["lease", { lease: "4294967296" }],
    ["lease", { lease: "forever" }],
    ["serverid", { serverid: "server" }],
    ["serverid", { serverid: "192.0.2.1 192.0.2.2" }],
  ])("rejects a bad %s: %j", (field, change) => {
    const error = rejection({ ...BOUND, ...change });
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
  });

  it("checks the interface of address-less events too", () => {
    expect(rejection({ event: "deconfig", interface: "../../x" }).field).toBe("interface");
    expect(rejection({ event: "deconfig" }).field).toBe("interface");
  });

  it("keeps an error message on one line whatever the value", () => {
    const error = rejection({ ...BOUND, domain: `x\n${"y".repeat(500)}` });
    expect(error.message).not.toContain("\n");
    expect(error.message.length).toBeLessThan(200);
  });
});

/** What udhcpc gave its script for a lease from the lab's udhcpd asked for more (busybox 1.35). */
const RICH_BOUND: Readonly<Record<string, string>> = {
  ...BOUND,
  lease: "600",
  broadcast: "192.0.2.255",
  search: "lab.test corp.test",
  ntpsrv: "192.0.2.1 192.0.2.2",
  mtu: "1400",
  opt58: "0000012c",
  opt59: "0000020d",
  hostname: "kiosk-7",
  wpad: "http://wpad.lab.test/wpad.dat",
  opt224: "0102ab",
  tftp: "boot.lab.test",
  siaddr: "192.0.2.1",
};

function lease(report: Record<string, string>, requested?: string[]): DhcpLeaseEvent {
  const event = parseDhcpReport(report, { requested });
  if (event.kind !== "bound" && event.kind !== "renew") throw new Error(`no lease: ${event.kind}`);
  return event;
}

describe("a lease without a subnet mask", () => {
  const { subnet: _subnet, mask: _mask, ...withoutSubnet } = BOUND;

  it.each([
    ["10.1.2.3", 8],
    ["172.16.5.4", 16],
    ["192.0.2.133", 24],
  ])("gets %s the address class's prefix, /%i, and says it was assumed", (ip, prefixLength) => {
    expect(lease({ ...withoutSubnet, ip })).toMatchObject({
      address: ip,
      prefixLength,
      subnetAssumed: true,
    });
  });

  it("counts empty subnet and mask variables as not sent", () => {
    expect(lease({ ...BOUND, subnet: "", mask: "" })).toMatchObject({
      prefixLength: 24,
      subnetAssumed: true,
    });
  });

  it("is not assumed when the server sent one", () => {
    expect(lease(BOUND).subnetAssumed).toBeUndefined();
  });
});

describe("what a lease gave beyond the address", () => {
  it("parses every option statenet publishes", () => {
    expect(lease(RICH_BOUND)).toEqual({
      kind: "bound",
      ifname: "eth0",
      address: "192.0.2.133",
      prefixLength: 24,
      routers: ["192.0.2.1"],
      nameServers: ["192.0.2.1", "192.0.2.2"],
      domain: "lab.test",
      leaseSeconds: 600,
      serverId: "192.0.2.1",
      broadcast: "192.0.2.255",
      search: ["lab.test", "corp.test"],
      ntpServers: ["192.0.2.1", "192.0.2.2"],
      mtu: 1400,
      renewalSeconds: 300,
      rebindingSeconds: 525,
      hostname: "kiosk-7",
      wpad: "http://wpad.lab.test/wpad.dat",
    });
  });

  it("passes on the options asked for that have no field, as udhcpc gave them", () => {
    expect(lease(RICH_BOUND, ["opt224", "tftp", "sipsrv", "ntpsrv", "opt58"]).requested).toEqual({
      opt224: "0102ab",
      tftp: "boot.lab.test",
    });
    // Not asked for: not passed on, whatever the server sent.
    expect(lease(RICH_BOUND, ["search"]).requested).toBeUndefined();
  });

  it("takes a root dot off search domains", () => {
    expect(lease({ ...BOUND, search: "lab.test. corp.test." }).search).toEqual([
      "lab.test",
      "corp.test",
    ]);
  });

  it.each([
    ["search", "lab.test evil\nnameserver"],
    ["search", "lab..test"],
    ["ntpsrv", "192.0.2.1 ntp.lab.test"],
    ["ntpsrv", "127.0.0.1"],
    ["mtu", "67"],
    ["mtu", "65536"],
    ["mtu", "1500x"],
    ["opt58", "12c"],
    ["opt59", "zzzzzzzz"],
    ["hostname", "-rf"],
    ["hostname", "kiosk 7"],
    ["wpad", "http://wpad lab"],
    ["broadcast", "192.0.2.256"],
  ])("leaves out a malformed %s (%j), names it, and keeps the lease", (variable, value) => {
    const event = lease({ ...RICH_BOUND, [variable]: value });
    expect(event.ignored).toEqual([variable]);
    expect(event.address).toBe("192.0.2.133");
    const field = {
      search: "search",
      ntpsrv: "ntpServers",
      mtu: "mtu",
      opt58: "renewalSeconds",
      opt59: "rebindingSeconds",
      hostname: "hostname",
      wpad: "wpad",
      broadcast: "broadcast",
    }[variable] as keyof DhcpLeaseEvent;
    expect(event[field]).toBeUndefined();
  });

  it("leaves out a requested option with a value that is not udhcpc's", () => {
    const event = lease({ ...RICH_BOUND, opt224: "xyz", tftp: "boot\u001b[2J" }, [
      "opt224",
      "tftp",
    ]);
    expect(event.requested).toBeUndefined();
    expect(event.ignored).toEqual(["opt224", "tftp"]);
  });

  it("publishes everything but what it ignored, with the netmask", () => {
    const event = lease({ ...RICH_BOUND, mtu: "1" }, ["opt224"]);
    const { kind: _kind, ifname: _ifname, ignored: _ignored, ...given } = event;
    expect(dhcpOptionsOf(event)).toEqual({ ...given, netmask: "255.255.255.0" });
    const { subnet: _subnet, mask: _mask, ...withoutSubnet } = BOUND;
    expect(dhcpOptionsOf(lease({ ...withoutSubnet, ip: "10.1.2.3" }))).toMatchObject({
      prefixLength: 8,
      subnetAssumed: true,
    });
    expect(dhcpOptionsOf(lease({ ...withoutSubnet, ip: "10.1.2.3" })).netmask).toBeUndefined();
  });
});
