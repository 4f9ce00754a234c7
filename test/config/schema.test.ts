import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isDnsName } from "../../src/config/dns-name.js";
import { configJsonSchema } from "../../src/config/json-schema.js";
import { ConfigError, parseConfig, parseInterfaceConfig } from "../../src/config/validate.js";
import { DEFAULT_INTERNET_HOSTS } from "../../src/connectivity/default-internet-hosts.js";

const example = {
  interfaces: {
    eth0: { type: "ethernet", ipv4: { method: "dhcp" } },
    wlan0: {
      type: "ethernet",
      ipv4: {
        method: "static",
        address: "198.51.100.10",
        prefixLength: 24,
        gateway: "198.51.100.1",
        nameServers: ["198.51.100.1"],
      },
    },
  },
  internetHosts: [{ host: "203.0.113.53", port: 53 }],
  resolvConf: "/var/run/statenet/resolv.conf",
  stateDir: "/var/lib/statenet",
  tmpDir: "/var/run/statenet",
};

function problems(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.map((problem) => `${problem.path}: ${problem.message}`);
  }
  throw new Error("expected the config to be rejected");
}

const eth0 = (config: unknown) => ({ interfaces: { eth0: config } });
const withConnectivity = (connectivity: Record<string, unknown>) =>
  eth0({ type: "ethernet", ipv4: { method: "dhcp" }, connectivity });
const staticIpv4 = (ipv4: Record<string, unknown>) =>
  eth0({
    type: "ethernet",
    ipv4: { method: "static", address: "192.0.2.10", prefixLength: 24, ...ipv4 },
  });

describe("configuration file", () => {
  it("accepts the documented example as written", () => {
    expect(parseConfig(example)).toEqual({
      ...example,
      additionalNameServers: [],
      powerManagers: {},
      technologies: [],
      ifnames: [],
    });
  });

  it("fills in defaults", () => {
    expect(parseConfig({})).toEqual({
      technologies: [],
      interfaces: {},
      internetHosts: DEFAULT_INTERNET_HOSTS,
      powerManagers: {},
      additionalNameServers: [],
      ifnames: [],
      resolvConf: "/var/run/statenet/resolv.conf",
      stateDir: "/var/lib/statenet",
      tmpDir: "/var/run/statenet",
    });
  });

  it("checks VintageNet's default hosts when internetHosts is left out, and none when it is []", () => {
    const { internetHosts } = parseConfig({});
    // Large anycast DNS services of different operators, each on TCP port 53.
    expect(internetHosts.map(({ host }) => host)).toEqual([
      "1.1.1.1",
      "8.8.8.8",
      "9.9.9.9",
      "208.67.222.222",
      "156.154.70.5",
    ]);
    expect(internetHosts.every(({ port }) => port === 53)).toBe(true);
    // Each parse gets its own copy: changing one configuration's list changes no other.
    internetHosts.pop();
    expect(parseConfig({}).internetHosts).toHaveLength(5);
    expect(parseConfig({ internetHosts: [] }).internetHosts).toEqual([]);
  });

  it.each([
    [staticIpv4({ prefixLength: 33 }), "interfaces.eth0.ipv4.prefixLength: must be 0..32"],
    [staticIpv4({ prefixLength: 24.5 }), "interfaces.eth0.ipv4.prefixLength: must be an integer"],
    [
      staticIpv4({ address: "192.0.2.300" }),
      'interfaces.eth0.ipv4.address: not an IPv4 address: "192.0.2.300"',
    ],
    [
      staticIpv4({ gateway: "router" }),
      'interfaces.eth0.ipv4.gateway: not an IPv4 address: "router"',
    ],
    [
      staticIpv4({ nameServers: ["192.0.2.1", "dns"] }),
      'interfaces.eth0.ipv4.nameServers.1: not an IPv4 address: "dns"',
    ],
    [
      staticIpv4({ netmask: "255.255.255.0" }),
      "interfaces.eth0.ipv4.netmask: give prefixLength or netmask, not both",
    ],
    [
      eth0({ type: "ethernet", ipv4: { method: "auto" } }),
      "interfaces.eth0.ipv4.method: must be dhcp, static or disabled",
    ],
    [
      eth0({ type: "wimax" }),
      "interfaces.eth0.type: unknown technology; must be one of ethernet, wifi, direct, mobile, null",
    ],
    [eth0({ type: "ethernet" }), "interfaces.eth0.ipv4: required (object)"],
    [
      { interfaces: { "eth0:1": { type: "null" } } },
      'interfaces.eth0:1: bad key: invalid interface name "eth0:1": only letters, digits and _ . @ - are allowed',
    ],
    [
      { ...example, internetHosts: [{ host: "203.0.113.53", port: 0 }] },
      "internetHosts.0.port: must be 1..65535",
    ],
    [{ ...example, resolvConf: "resolv.conf" }, "resolvConf: must be an absolute path"],
    [{ ...example, colour: "blue" }, "(root): unknown key(s): colour"],
    [
      withConnectivity({ intervalMs: 8.5 }),
      "interfaces.eth0.connectivity.intervalMs: must be an integer number of milliseconds",
    ],
    [
      withConnectivity({ timeoutMs: 10 }),
      "interfaces.eth0.connectivity.timeoutMs: must be at least 50 ms",
    ],
    [
      withConnectivity({ confirmProbes: 0 }),
      "interfaces.eth0.connectivity.confirmProbes: must be 1..10",
    ],
    [
      withConnectivity({ holdDownBaseMs: 20_000, holdDownMaxMs: 10_000 }),
      "interfaces.eth0.connectivity.holdDownMaxMs: must not be less than holdDownBaseMs",
    ],
    [
      withConnectivity({ lanIntervalMs: 20_000, lanBackoffMaxMs: 10_000 }),
      "interfaces.eth0.connectivity.lanBackoffMaxMs: must not be less than lanIntervalMs",
    ],
    [
      withConnectivity({ lanBackoffMaxMs: 50 }),
      "interfaces.eth0.connectivity.lanBackoffMaxMs: must be at least 100 ms",
    ],
    [
      withConnectivity({ interval: 1000 }),
      "interfaces.eth0.connectivity: unknown key(s): interval",
    ],
    ["interfaces", "(root): Invalid input: expected object, received string"],
  ])("rejects %j with %s", (input, message) => {
    expect(problems(input)).toEqual([message]);
  });

  it("takes connectivity timings per interface", () => {
    const timings = { intervalMs: 1_000, timeoutMs: 500, recoveryChecks: 2, holdDownBaseMs: 0 };
    expect(parseConfig(withConnectivity(timings)).interfaces.eth0).toEqual({
      type: "ethernet",
      ipv4: { method: "dhcp" },
      connectivity: timings,
    });
  });

  it("takes command-based power managers, with defaults for what is left out", () => {
    const config = parseConfig({
      powerManagers: {
        wwan0: {
          commands: {
            powerOn: ["/usr/local/bin/modem", "on"],
            startPoweringOff: ["/usr/local/bin/modem", "shutdown"],
            powerOff: ["/usr/local/bin/modem", "off"],
          },
          watchdogTimeoutMs: 60_000,
          powerOnHoldMs: 600_000,
          timeToPowerOffMs: 60_000,
          minPowerOffMs: 10_000,
        },
      },
    });
    expect(config.powerManagers.wwan0).toMatchObject({
      commandTimeoutMs: 30_000,
      petWhen: "internet",
      restartFirst: true,
      bootLoopGuard: { maxCycles: 3, windowMs: 3_600_000 },
    });
  });

  it.each([
    [
      { powerOn: "modem on", powerOff: ["x"] },
      "powerManagers.wwan0.commands.powerOn: must be a list: the program, then its arguments",
    ],
    [{ powerOn: [], powerOff: ["x"] }, "powerManagers.wwan0.commands.powerOn: must name a program"],
    [{ powerOn: ["x"] }, "powerManagers.wwan0.commands.powerOff: required (array)"],
  ])("rejects power commands %j", (commands, message) => {
    expect(problems({ powerManagers: { wwan0: { commands } } })).toEqual([message]);
  });

  it("rejects a power manager's unknown petWhen and bad interface names", () => {
    const commands = { powerOn: ["on"], powerOff: ["off"] };
    expect(problems({ powerManagers: { wwan0: { commands, petWhen: "always" } } })).toEqual([
      "powerManagers.wwan0.petWhen: must be internet or lan",
    ]);
    expect(problems({ powerManagers: { "bad name": { commands } } })[0]).toMatch(
      /^powerManagers.bad name: bad key: invalid interface name/,
    );
  });

  it("takes wired 802.1X and names what is missing or wrong in it", () => {
    const with8021x = (ieee8021x: unknown) =>
      eth0({ type: "ethernet", ipv4: { method: "dhcp" }, ieee8021x });
    expect(
      parseConfig(with8021x({ eap: "md5", identity: "user1", password: 'p "w }' })).interfaces.eth0,
    ).toMatchObject({ ieee8021x: { eap: "md5", identity: "user1", password: 'p "w }' } });
    expect(problems(with8021x({ eap: "leap", identity: "u", password: "p" }))).toEqual([
      "interfaces.eth0.ieee8021x.eap: must be md5, peap, ttls or tls",
    ]);
    const ttls = { eap: "ttls", identity: "u", password: "p", caCert: "/ca.pem" };
    expect(parseConfig(with8021x(ttls)).interfaces.eth0).toMatchObject({
      ieee8021x: { phase2: "mschapv2" },
    });
    expect(problems(with8021x({ ...ttls, phase2: "chap" }))).toEqual([
      "interfaces.eth0.ieee8021x.phase2: must be mschapv2 or pap",
    ]);
    // Without the CA the server is not checked, and anyone on the wire gets the password.
    expect(problems(with8021x({ eap: "peap", identity: "u", password: "p" }))).toEqual([
      "interfaces.eth0.ieee8021x.caCert: required (string)",
    ]);
    expect(
      problems(
        with8021x({
          eap: "tls",
          identity: "",
          clientCert: "client.pem",
          privateKey: "/k\0ey",
          caCert: "/ca.pem",
          serverDomain: "not a domain",
        }),
      ),
    ).toEqual([
      "interfaces.eth0.ieee8021x.identity: must not be empty",
      "interfaces.eth0.ieee8021x.clientCert: must be an absolute path",
      "interfaces.eth0.ieee8021x.privateKey: must not contain a NUL character",
      "interfaces.eth0.ieee8021x.serverDomain: must be a domain name",
    ]);
    expect(problems(with8021x({ eap: "md5", identity: "u", password: "é".repeat(128) }))).toEqual([
      "interfaces.eth0.ieee8021x.password: must be at most 255 bytes",
    ]);
  });

  it.each([
    [
      { address: "198.51.100.30", gateway: "192.0.2.1" },
      "must be on the interface's subnet 198.51.100.0/24",
    ],
    [{ address: "192.0.2.10", gateway: "192.0.2.10" }, "must not be the interface's own address"],
    [{ gateway: "192.0.2.0" }, "must not be the network address of 192.0.2.0/24"],
    [{ gateway: "192.0.2.255" }, "must not be the broadcast address of 192.0.2.0/24"],
    [
      { prefixLength: 32, gateway: "192.0.2.1" },
      "cannot be reached from 192.0.2.10/32, a subnet of one address; give the prefix length of the network the gateway is on",
    ],
    [
      { address: "192.0.2.10", prefixLength: 31, gateway: "192.0.2.12" },
      "must be on the interface's subnet 192.0.2.10/31",
    ],
  ])("refuses the static gateway of %j: %s", (ipv4, message) => {
    expect(problems(staticIpv4(ipv4))).toEqual([`interfaces.eth0.ipv4.gateway: ${message}`]);
    expect(() =>
      parseInterfaceConfig("eth0", {
        type: "ethernet",
        ipv4: { method: "static", address: "192.0.2.10", prefixLength: 24, ...ipv4 },
      }),
    ).toThrow(`interfaces.eth0.ipv4.gateway: ${message}`);
  });

  it.each([
    [{ gateway: "192.0.2.1" }],
    [{ gateway: "192.0.2.254" }],
    // A point-to-point /31 has no network or broadcast address: the peer is the gateway.
    [{ prefixLength: 31, gateway: "192.0.2.11" }],
    [{ address: "192.0.2.11", prefixLength: 31, gateway: "192.0.2.10" }],
    [{ prefixLength: 16, gateway: "192.0.200.1" }],
    // Without a gateway, a /32 is fine (a host route, no default route).
    [{ prefixLength: 32 }],
  ])("accepts the static gateway of %j", (ipv4) => {
    expect(parseConfig(staticIpv4(ipv4)).interfaces.eth0).toMatchObject({ ipv4 });
  });

  it("checks the gateway against the subnet only when both addresses are good", () => {
    expect(problems(staticIpv4({ address: "1.2.3", gateway: "198.51.100.1" }))).toEqual([
      'interfaces.eth0.ipv4.address: not an IPv4 address: "1.2.3"',
    ]);
    expect(problems(staticIpv4({ prefixLength: 40, gateway: "198.51.100.1" }))).toEqual([
      "interfaces.eth0.ipv4.prefixLength: must be 0..32",
    ]);
  });

  it("names every bad field at once", () => {
    expect(problems(staticIpv4({ address: "1.2.3", gateway: "x" }))).toEqual([
      'interfaces.eth0.ipv4.address: not an IPv4 address: "1.2.3"',
      'interfaces.eth0.ipv4.gateway: not an IPv4 address: "x"',
    ]);
  });

  it("checks one interface's configuration with the interface in the path", () => {
    expect(() =>
      parseInterfaceConfig("wlan0", { type: "ethernet", ipv4: { method: "x" } }),
    ).toThrow("interfaces.wlan0.ipv4.method: must be dhcp, static or disabled");
    expect(parseInterfaceConfig("eth1", { type: "null" })).toEqual({ type: "null" });
  });
});

describe("JSON Schema for editors", () => {
  it("is committed up to date (npm run schema writes it)", () => {
    const committed = JSON.parse(
      readFileSync(new URL("../../schema/statenet-config.schema.json", import.meta.url), "utf8"),
    );
    expect(committed).toEqual(configJsonSchema());
  });

  it("describes addresses as IPv4 and lists the technologies", () => {
    const text = JSON.stringify(configJsonSchema());
    expect(text).toContain('"format":"ipv4"');
    expect(text).toContain('"const":"ethernet"');
    expect(text).toContain('"const":"null"');
  });

  it("says what each top-level key defaults to, interfaces included", () => {
    const { properties } = configJsonSchema() as {
      properties: Record<string, { default?: unknown }>;
    };
    expect(properties.interfaces?.default).toEqual({});
    expect(properties.powerManagers?.default).toEqual({});
  });
});

describe("DNS names", () => {
  it.each(["kiosk-7", "lab.test", "a", "x1.y-2.z3"])("accepts %s", (name) => {
    expect(isDnsName(name)).toBe(true);
  });
  it.each([
    "",
    "-a",
    "a-",
    "a..b",
    "a_b",
    "a b",
    "a;reboot",
    `${"a".repeat(64)}.test`,
    `${"a.".repeat(127)}ab`,
  ])("rejects %j", (name) => {
    expect(isDnsName(name)).toBe(false);
  });
});
