import { describe, expect, it } from "vitest";
import { ANSI_COLOUR, colourFor, NO_COLOUR, visibleLength } from "../../src/cli/colour.js";
import {
  configLines,
  connectionReason,
  infoPage,
  networkStatus,
  snakeKeys,
  statusPage,
} from "../../src/cli/status-page.js";
import type { NetworkManagerInfo } from "../../src/network-manager.js";

const NOW = new Date("2026-12-02T12:00:00.000Z");

/** `info` as it comes over the socket (JSON: undefined fields absent). */
const INFO = {
  allInterfaces: ["eth0", "lo", "usb0", "wlan0", "wwan0"],
  availableInterfaces: ["eth0", "wwan0"],
  connection: "internet",
  nameServers: [
    { address: "192.0.2.1", from: ["eth0"] },
    { address: "9.9.9.9", from: [] },
  ],
  routeErrors: [
    {
      ifname: "wlan0",
      command: "route add default via 198.51.100.1 dev wlan0",
      error: "Nexthop has invalid gateway",
    },
  ],
  interfaces: {
    eth0: {
      type: "ethernet",
      state: "configured",
      connection: "internet",
      present: true,
      lowerUp: true,
      macAddress: "02:00:00:00:00:01",
      addresses: [
        { family: "inet", address: "192.0.2.10", prefixLength: 24 },
        { family: "inet6", address: "fe80::1", prefixLength: 64 },
      ],
      defaultRoute: { gateway: "192.0.2.1", metric: 10 },
      lease: { address: "192.0.2.10", leaseSeconds: 600, expires: "2026-12-02T12:04:10.000Z" },
      connectivity: {
        status: "internet",
        reason: "probe answered",
        lastCheck: "2026-12-02T11:59:57.900Z",
        rttMs: 3.4,
      },
      config: {
        type: "ethernet",
        ipv4: { method: "dhcp", hostname: "kiosk-7" },
        ieee8021x: { eap: "md5", identity: "user1", password: "***" },
      },
      configSource: { from: "file", overridesFile: false },
    },
    lo: { present: true, lowerUp: true, addresses: [] },
    wlan0: {
      type: "ethernet",
      state: "configured",
      connection: "disconnected",
      present: true,
      lowerUp: false,
      macAddress: "02:00:00:00:00:02",
      addresses: [],
      config: {
        type: "ethernet",
        ipv4: {
          method: "static",
          address: "198.51.100.10",
          prefixLength: 24,
          nameServers: ["198.51.100.1"],
        },
      },
      configSource: { from: "saved", savedAt: "2026-12-01T12:00:00.000Z", overridesFile: true },
    },
    wwan0: {
      type: "ethernet",
      state: "configured",
      connection: "lan",
      present: true,
      lowerUp: true,
      addresses: [{ family: "inet", address: "203.0.113.7", prefixLength: 30 }],
      defaultRoute: { gateway: "203.0.113.5", metric: 70 },
      connectivity: {
        status: "lan",
        reason: "no internet host answered",
        lastCheck: "2026-12-02T11:56:55.000Z",
        rttMs: null,
      },
      power: { state: "on", timeLeftMs: 42_000, cycles: 1 },
      config: { type: "ethernet", ipv4: { method: "dhcp" } },
      configSource: { from: "file", overridesFile: false },
    },
  },
} as unknown as NetworkManagerInfo;

describe("statenet status", () => {
  it("summarizes the network, then one row per configured interface", () => {
    expect(networkStatus(INFO, NOW)).toEqual({
      connection: "internet",
      route_order: ["eth0", "wwan0"],
      uplinks: [
        {
          ifname: "eth0",
          type: "ethernet",
          state: "configured",
          connection: "internet",
          reason: "probe answered",
          address: "192.0.2.10/24",
          gateway: "192.0.2.1",
          metric: 10,
          last_check: "2026-12-02T11:59:57.900Z",
          last_check_age_ms: 2_100,
          power: null,
        },
        {
          ifname: "wlan0",
          type: "ethernet",
          state: "configured",
          connection: "disconnected",
          reason: "no carrier",
          address: null,
          gateway: null,
          metric: null,
          last_check: null,
          last_check_age_ms: null,
          power: null,
        },
        {
          ifname: "wwan0",
          type: "ethernet",
          state: "configured",
          connection: "lan",
          reason: "no internet host answered",
          address: "203.0.113.7/30",
          gateway: "203.0.113.5",
          metric: 70,
          last_check: "2026-12-02T11:56:55.000Z",
          last_check_age_ms: 185_000,
          power: "on",
        },
      ],
    });
  });

  it("reads as one screen of aligned columns, without colour when asked for none", () => {
    expect(statusPage(networkStatus(INFO, NOW)).split("\n")).toEqual([
      "network: internet   route order: eth0 > wwan0",
      "",
      "IFNAME  STATE       CONNECTION                       ADDRESS         GATEWAY      METRIC  CHECKED         POWER",
      "eth0    configured  internet (probe answered)        192.0.2.10/24   192.0.2.1    10      2.1 s ago       -",
      "wlan0   configured  disconnected (no carrier)        -               -            -       -               -",
      "wwan0   configured  lan (no internet host answered)  203.0.113.7/30  203.0.113.5  70      3 min 05 s ago  on",
    ]);
  });

  it("puts reason, last check and power under the connection when rows would not fit", () => {
    const page = statusPage(networkStatus(INFO, NOW), NO_COLOUR, 80).split("\n");
    expect(page).toEqual([
      "network: internet   route order: eth0 > wwan0",
      "",
      "IFNAME  STATE       CONNECTION    ADDRESS         GATEWAY      METRIC",
      "eth0    configured  internet      192.0.2.10/24   192.0.2.1    10",
      "                    probe answered, checked 2.1 s ago",
      "wlan0   configured  disconnected  -               -            -",
      "                    no carrier",
      "wwan0   configured  lan           203.0.113.7/30  203.0.113.5  70",
      "                    no internet host answered, checked 3 min 05 s ago, power on",
    ]);
    expect(Math.max(...page.map((line) => line.length))).toBeLessThanOrEqual(80);
    // Wide enough: one line per uplink, as before.
    expect(statusPage(networkStatus(INFO, NOW), NO_COLOUR, 120).split("\n")).toHaveLength(6);
  });

  it("colours the words of status on a terminal, and still lines up", () => {
    const page = statusPage(networkStatus(INFO, NOW), ANSI_COLOUR);
    expect(page).toContain("\x1b[32m\x1b[1minternet\x1b[0m\x1b[0m");
    expect(page).toContain("\x1b[31mdisconnected\x1b[0m (no carrier)");
    const plain = statusPage(networkStatus(INFO, NOW)).split("\n");
    expect(page.split("\n").map(visibleLength)).toEqual(plain.map((line) => line.length));
  });

  it("says so when nothing is configured", () => {
    const empty = { ...INFO, connection: undefined, availableInterfaces: [], interfaces: {} };
    expect(statusPage(networkStatus(empty as unknown as NetworkManagerInfo, NOW))).toBe(
      "network: disconnected   route order: (none)\n\nno interface is configured",
    );
  });
});

describe("statenet info", () => {
  it("reads as a status page: aligned labels, every uplink's details, the config as key: value lines", () => {
    expect(infoPage(INFO, NOW).split("\n")).toEqual([
      "network       internet",
      "route order   eth0 > wwan0",
      "name servers  192.0.2.1 (eth0), 9.9.9.9",
      "",
      "eth0",
      "  type         ethernet",
      "  state        configured",
      "  connection   internet (probe answered)",
      "  carrier      yes",
      "  mac address  02:00:00:00:00:01",
      "  addresses    192.0.2.10/24, fe80::1/64",
      "  gateway      192.0.2.1, metric 10",
      "  DHCP lease   192.0.2.10 for 600 s, ends 2026-12-02T12:04:10.000Z (in 4 min 10 s)",
      "  last check   2.1 s ago, round trip 3 ms",
      "  config from  the configuration file",
      "  config",
      "    type: ethernet",
      "    ipv4:",
      "      method: dhcp",
      "      hostname: kiosk-7",
      "    ieee8021x:",
      "      eap: md5",
      "      identity: user1",
      "      password: ***",
      "",
      "lo",
      "  type     not managed",
      "  carrier  yes",
      "",
      "wlan0",
      "  type           ethernet",
      "  state          configured",
      "  connection     disconnected (no carrier)",
      "  carrier        no",
      "  mac address    02:00:00:00:00:02",
      "  route refused  route add default via 198.51.100.1 dev wlan0: Nexthop has invalid gateway",
      "  config from    saved at run time 2026-12-01T12:00:00.000Z (overrides the file)",
      "  config",
      "    type: ethernet",
      "    ipv4:",
      "      method: static",
      "      address: 198.51.100.10",
      "      prefixLength: 24",
      "      nameServers: 198.51.100.1",
      "",
      "wwan0",
      "  type         ethernet",
      "  state        configured",
      "  connection   lan (no internet host answered)",
      "  carrier      yes",
      "  addresses    203.0.113.7/30",
      "  gateway      203.0.113.5, metric 70",
      "  last check   3 min 05 s ago",
      "  power        on (42.0 s left), 1 cycle",
      "  config from  the configuration file",
      "  config",
      "    type: ethernet",
      "    ipv4:",
      "      method: dhcp",
    ]);
  });

  it("shows a route refusal of no one interface, and others' default routes, at the top", () => {
    const info = {
      ...INFO,
      routeErrors: [{ error: "RTNETLINK answers: File exists" }],
      unmanagedDefaultRoutes: [
        { ifname: "usb0", gateway: "192.0.2.254", metric: 5, outranks: true },
      ],
      interfaces: {},
    } as unknown as NetworkManagerInfo;
    expect(infoPage(info, NOW).split("\n")).toEqual([
      "network        internet",
      "route order    eth0 > wwan0",
      "name servers   192.0.2.1 (eth0), 9.9.9.9",
      "route refused  RTNETLINK answers: File exists",
      "not managed    default via 192.0.2.254 dev usb0 metric 5 (outranks statenet's default route: traffic follows it)",
    ]);
  });

  it("escapes what a stranger may have chosen: a reason, a configuration's text", () => {
    expect(configLines({ wifi: { networks: [{ ssid: "\x1b[2Jhome", psk: "***" }] } })).toEqual([
      "wifi:",
      "  networks:",
      "    - ssid: \\e[2Jhome",
      "      psk: ***",
    ]);
    expect(connectionReason({ connectivity: { reason: "\u202eevil" } } as never)).toBe(
      "\u202eevil",
    );
    const info = {
      interfaces: {
        eth0: { type: "ethernet", connection: "lan", connectivity: { reason: "\u202eevil" } },
      },
    } as unknown as NetworkManagerInfo;
    expect(infoPage(info, NOW)).toContain("lan (\\u{202e}evil)");
  });
});

describe("colour", () => {
  it("only on a terminal, and never with NO_COLOR set", () => {
    expect(colourFor({ isTTY: true }, {})).toBe(ANSI_COLOUR);
    expect(colourFor({ isTTY: false }, {})).toBe(NO_COLOUR);
    expect(colourFor({}, {})).toBe(NO_COLOUR);
    expect(colourFor({ isTTY: true }, { NO_COLOR: "1" })).toBe(NO_COLOUR);
    // no-color.org: an empty NO_COLOR does not count.
    expect(colourFor({ isTTY: true }, { NO_COLOR: "" })).toBe(ANSI_COLOUR);
  });
});

describe("JSON keys", () => {
  it("snake_case for the daemon's structures; interface names and configurations as they are", () => {
    expect(
      snakeKeys({
        availableInterfaces: ["eth0"],
        interfaces: {
          wlanA: {
            lowerUp: true,
            configSource: { from: "saved", savedAt: "x", overridesFile: true },
            config: { ipv4: { prefixLength: 24 } },
            power: { timeLeftMs: null },
          },
        },
      }),
    ).toEqual({
      available_interfaces: ["eth0"],
      interfaces: {
        wlanA: {
          lower_up: true,
          config_source: { from: "saved", saved_at: "x", overrides_file: true },
          config: { ipv4: { prefixLength: 24 } },
          power: { time_left_ms: null },
        },
      },
    });
  });
});
