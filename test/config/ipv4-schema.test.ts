import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, parseInterfaceConfig } from "../../src/config/validate.js";

const ethernet = (ipv4: Record<string, unknown>) => ({ type: "ethernet", ipv4 });
const staticIpv4 = (fields: Record<string, unknown>) =>
  ethernet({ method: "static", address: "192.0.2.10", ...fields });
const dhcp = (fields: Record<string, unknown>) => ethernet({ method: "dhcp", ...fields });

function parsedIpv4(config: unknown): unknown {
  return (parseInterfaceConfig("eth0", config) as { ipv4: unknown }).ipv4;
}

function problems(config: unknown): string[] {
  try {
    parseInterfaceConfig("eth0", config);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.map((problem) => `${problem.path}: ${problem.message}`);
  }
  throw new Error(`accepted ${JSON.stringify(config)}`);
}

describe("static IPv4: netmask or prefix length", () => {
  it.each([
    ["255.255.255.0", 24],
    ["255.255.252.0", 22],
    ["255.255.255.255", 32],
    ["255.255.255.254", 31],
    ["255.0.0.0", 8],
  ])("takes netmask %s as prefixLength %i, and keeps only that", (netmask, prefixLength) => {
    expect(parsedIpv4(staticIpv4({ netmask }))).toEqual({
      method: "static",
      address: "192.0.2.10",
      prefixLength,
    });
  });

  it("parses to the same config as the prefix length, so persisting it round-trips", () => {
    const fromNetmask = parsedIpv4(staticIpv4({ netmask: "255.255.255.0", gateway: "192.0.2.1" }));
    const fromPrefix = parsedIpv4(staticIpv4({ prefixLength: 24, gateway: "192.0.2.1" }));
    expect(fromNetmask).toEqual(fromPrefix);
    expect(parsedIpv4(ethernet(fromNetmask as Record<string, unknown>))).toEqual(fromNetmask);
  });

  it.each([
    [
      "255.0.255.0",
      "not a contiguous netmask: 255.0.255.0 (its ones come first, as in 255.255.255.0)",
    ],
    [
      "255.255.255.1",
      "not a contiguous netmask: 255.255.255.1 (its ones come first, as in 255.255.255.0)",
    ],
    [
      "0.255.255.255",
      "not a contiguous netmask: 0.255.255.255 (its ones come first, as in 255.255.255.0)",
    ],
    ["255.255.255", 'not a netmask: "255.255.255"'],
    ["/24", 'not a netmask: "/24"'],
    ["", 'not a netmask: ""'],
  ])("refuses netmask %j naming the field", (netmask, message) => {
    expect(problems(staticIpv4({ netmask }))).toEqual([`interfaces.eth0.ipv4.netmask: ${message}`]);
  });

  it("refuses a netmask that is no string", () => {
    expect(problems(staticIpv4({ netmask: 24 }))[0]).toMatch(/^interfaces\.eth0\.ipv4\.netmask: /);
  });

  it("wants exactly one of them", () => {
    expect(problems(staticIpv4({}))).toEqual([
      "interfaces.eth0.ipv4.prefixLength: required: prefixLength (e.g. 24) or netmask (e.g. 255.255.255.0)",
    ]);
    expect(problems(staticIpv4({ prefixLength: 24, netmask: "255.255.255.0" }))).toEqual([
      "interfaces.eth0.ipv4.netmask: give prefixLength or netmask, not both",
    ]);
  });

  it("checks the gateway against the netmask's subnet", () => {
    expect(problems(staticIpv4({ netmask: "255.255.255.128", gateway: "192.0.2.200" }))).toEqual([
      "interfaces.eth0.ipv4.gateway: must be on the interface's subnet 192.0.2.0/25",
    ]);
    expect(parsedIpv4(staticIpv4({ netmask: "255.255.0.0", gateway: "192.0.200.1" }))).toEqual({
      method: "static",
      address: "192.0.2.10",
      prefixLength: 16,
      gateway: "192.0.200.1",
    });
  });

  it("names every bad field at once", () => {
    expect(problems(staticIpv4({ address: "1.2.3", netmask: "255.0.255.0" }))).toEqual([
      'interfaces.eth0.ipv4.address: not an IPv4 address: "1.2.3"',
      "interfaces.eth0.ipv4.netmask: not a contiguous netmask: 255.0.255.0 (its ones come first, as in 255.255.255.0)",
    ]);
  });

  it("in a whole configuration file too", () => {
    const config = parseConfig({
      interfaces: { eth0: staticIpv4({ netmask: "255.255.255.0" }) },
    });
    expect(config.interfaces.eth0).toEqual({
      type: "ethernet",
      ipv4: { method: "static", address: "192.0.2.10", prefixLength: 24 },
    });
  });
});

describe("static IPv4: name servers", () => {
  it("takes one name server as a string, and parses it to a list", () => {
    expect(parsedIpv4(staticIpv4({ prefixLength: 24, nameServers: "192.0.2.1" }))).toEqual({
      method: "static",
      address: "192.0.2.10",
      prefixLength: 24,
      nameServers: ["192.0.2.1"],
    });
  });

  it("takes a list as before", () => {
    expect(
      parsedIpv4(staticIpv4({ prefixLength: 24, nameServers: ["192.0.2.1", "192.0.2.2"] })),
    ).toMatchObject({ nameServers: ["192.0.2.1", "192.0.2.2"] });
  });

  it.each([
    ["dns", 'interfaces.eth0.ipv4.nameServers: not an IPv4 address: "dns"'],
    [["192.0.2.1", "dns"], 'interfaces.eth0.ipv4.nameServers.1: not an IPv4 address: "dns"'],
    [53, "interfaces.eth0.ipv4.nameServers: must be an IPv4 address or a list of them"],
  ])("refuses %j naming the field", (nameServers, message) => {
    expect(problems(staticIpv4({ prefixLength: 24, nameServers }))).toEqual([message]);
  });
});

describe("DHCP host name", () => {
  it.each([
    "kiosk-7",
    "kiosk_7",
    "KIOSK7",
    "7",
    "device.lab.test",
    "nerves-9780",
    "-".padStart(63, "a"),
    `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(62)}`,
  ])("accepts %s", (hostname) => {
    expect(parsedIpv4(dhcp({ hostname }))).toEqual({ method: "dhcp", hostname });
  });

  it.each([
    "",
    "-kiosk",
    "kiosk 7",
    "kiosk;reboot",
    "kiosk\n7",
    "kiosk..7",
    ".kiosk",
    "kiosk.",
    "kiosk:7",
    "kiösk",
    "a".repeat(64),
    `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}`,
  ])("refuses %j naming the field", (hostname) => {
    expect(problems(dhcp({ hostname }))).toEqual([
      "interfaces.eth0.ipv4.hostname: must be a host name: letters, digits, - and _ in dot-separated labels of 1..63, not starting with -, at most 254 in all",
    ]);
  });
});

describe("DHCP options to ask for", () => {
  it("takes udhcpc's option names and option numbers, as given", () => {
    const dhcpRequestOptions = ["wpad", "sipsrv", 224, 1, 254];
    expect(parsedIpv4(dhcp({ dhcpRequestOptions }))).toEqual({
      method: "dhcp",
      dhcpRequestOptions,
    });
  });

  it.each<[string | number, string]>([
    ["wpadx", "not an option udhcpc knows"],
    ["WPAD", "not an option udhcpc knows"],
    ["252", "not an option udhcpc knows"],
    [0, "must be an option number 1..254"],
    [255, "must be an option number 1..254"],
    [3.5, "not an option udhcpc knows"],
  ])("refuses %j naming the entry", (option, reason) => {
    const [problem] = problems(dhcp({ dhcpRequestOptions: ["mtu", option] }));
    expect(problem).toMatch(/^interfaces\.eth0\.ipv4\.dhcpRequestOptions\.1: /);
    expect(problem).toContain(reason);
  });

  it("refuses a list that is no list", () => {
    expect(problems(dhcp({ dhcpRequestOptions: "wpad" }))[0]).toMatch(
      /^interfaces\.eth0\.ipv4\.dhcpRequestOptions: /,
    );
  });
});
