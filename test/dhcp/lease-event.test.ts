import { describe, expect, it } from "vitest";
import { DhcpReportError, parseDhcpReport } from "../../src/dhcp/lease-event.js";
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
    ["subnet", { subnet: "", mask: "" }],
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
