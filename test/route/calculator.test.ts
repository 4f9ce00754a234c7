import { describe, expect, it } from "vitest";
import { computeRoutes, interfacesByPriority } from "../../src/route/calculator.js";
import { defaultMetric } from "../../src/route/default-metric.js";
import { interfaceTypeFromName, weightFromName } from "../../src/route/interface-type.js";
import type {
  ConnectionStatus,
  InterfaceInfo,
  InterfaceType,
  MetricFunction,
  RouteEntry,
} from "../../src/route/types.js";
import { defaultVia, rule, subnet } from "../support/entries.js";

function info(
  type: InterfaceType,
  status: ConnectionStatus,
  addresses: string[],
  gateway?: string,
  weight = 0,
): InterfaceInfo {
  return {
    type,
    status,
    weight,
    addresses: addresses.map((cidr) => {
      const [address, bits] = cidr.split("/");
      return { address: address as string, prefixLength: Number(bits) };
    }),
    gateway,
  };
}

const eth0Internet = info("ethernet", "internet", ["192.0.2.10/24"], "192.0.2.1");
const wlan0Internet = info("wifi", "internet", ["198.51.100.20/24"], "198.51.100.1");

describe("computeRoutes", () => {
  it("has nothing to do without interfaces", () => {
    expect(computeRoutes({}, {})).toEqual({ tables: {}, entries: [], skipped: [] });
  });

  it("gives one interface a rule, subnet routes and default routes, rules first, main last", () => {
    expect(computeRoutes({ eth0: eth0Internet }, {})).toEqual({
      tables: { eth0: 100 },
      entries: [
        { kind: "rule", from: "192.0.2.10", table: 100, priority: 100 },
        {
          kind: "subnet_route",
          ifname: "eth0",
          network: "192.0.2.0/24",
          source: "192.0.2.10",
          metric: 0,
          table: 100,
        },
        {
          kind: "subnet_route",
          ifname: "eth0",
          network: "192.0.2.0/24",
          source: "192.0.2.10",
          metric: 10,
          table: "main",
        },
        { kind: "default_route", ifname: "eth0", gateway: "192.0.2.1", metric: 0, table: 100 },
        { kind: "default_route", ifname: "eth0", gateway: "192.0.2.1", metric: 10, table: "main" },
      ],
      skipped: [],
    });
  });

  it("gives a disconnected interface a table but no entries", () => {
    const result = computeRoutes(
      { eth0: info("ethernet", "disconnected", ["192.0.2.10/24"], "192.0.2.1") },
      {},
    );
    expect(result).toEqual({ tables: { eth0: 100 }, entries: [], skipped: [] });
    // ...and keeps the table it had.
    const again = computeRoutes(
      { eth0: info("ethernet", "disconnected", [], undefined), wlan0: wlan0Internet },
      { eth0: 103 },
    );
    expect(again.tables).toEqual({ eth0: 103, wlan0: 100 });
    expect(
      again.entries.filter((entry) => entry.kind !== "rule" && entry.ifname === "eth0"),
    ).toEqual([]);
  });

  it("produces no entries for an interface without addresses, even with a gateway", () => {
    expect(computeRoutes({ eth0: info("ethernet", "internet", [], "192.0.2.1") }, {})).toEqual({
      tables: { eth0: 100 },
      entries: [],
      skipped: [],
    });
  });

  it("produces rules and subnet routes only when there is no gateway", () => {
    expect(computeRoutes({ eth0: info("ethernet", "lan", ["192.0.2.10/24"]) }, {}).entries).toEqual(
      [
        rule("192.0.2.10", 100),
        subnet("eth0", "192.0.2.0/24", "192.0.2.10", 100, 0),
        subnet("eth0", "192.0.2.0/24", "192.0.2.10", "main", 50),
      ],
    );
  });

  it("puts wired before WiFi when both reach the internet", () => {
    expect(computeRoutes({ wlan0: wlan0Internet, eth0: eth0Internet }, {})).toEqual({
      tables: { eth0: 100, wlan0: 101 },
      entries: [
        rule("192.0.2.10", 100),
        rule("198.51.100.20", 101),
        subnet("eth0", "192.0.2.0/24", "192.0.2.10", 100, 0),
        subnet("wlan0", "198.51.100.0/24", "198.51.100.20", 101, 0),
        subnet("eth0", "192.0.2.0/24", "192.0.2.10", "main", 10),
        subnet("wlan0", "198.51.100.0/24", "198.51.100.20", "main", 20),
        defaultVia("eth0", "192.0.2.1", 100, 0),
        defaultVia("wlan0", "198.51.100.1", 101, 0),
        defaultVia("eth0", "192.0.2.1", "main", 10),
        defaultVia("wlan0", "198.51.100.1", "main", 20),
      ],
      skipped: [],
    });
  });

  it("puts WiFi with internet before ethernet with only a LAN", () => {
    const eth0Lan = info("ethernet", "lan", ["192.0.2.10/24"], "192.0.2.1");
    const { entries } = computeRoutes({ eth0: eth0Lan, wlan0: wlan0Internet }, {});
    expect(entries.filter((entry) => entry.table === "main")).toEqual([
      subnet("wlan0", "198.51.100.0/24", "198.51.100.20", "main", 20),
      subnet("eth0", "192.0.2.0/24", "192.0.2.10", "main", 50),
      defaultVia("wlan0", "198.51.100.1", "main", 20),
      defaultVia("eth0", "192.0.2.1", "main", 50),
    ]);
    expect(interfacesByPriority(entries)).toEqual(["wlan0", "eth0"]);
  });

  it("adds one rule per address but a subnet route only for the first", () => {
    const eth0 = info(
      "ethernet",
      "internet",
      ["192.0.2.10/24", "192.0.2.11/24", "203.0.113.5/28"],
      "192.0.2.1",
    );
    expect(computeRoutes({ eth0 }, {}).entries).toEqual([
      rule("192.0.2.10", 100),
      rule("192.0.2.11", 100),
      rule("203.0.113.5", 100),
      subnet("eth0", "192.0.2.0/24", "192.0.2.10", 100, 0),
      subnet("eth0", "192.0.2.0/24", "192.0.2.10", "main", 10),
      defaultVia("eth0", "192.0.2.1", 100, 0),
      defaultVia("eth0", "192.0.2.1", "main", 10),
    ]);
  });

  it("separates interfaces of the same type by weight", () => {
    const infos = {
      eth2: info("ethernet", "internet", ["192.0.2.12/24"], "192.0.2.1", 2),
      eth0: info("ethernet", "internet", ["192.0.2.10/24"], "192.0.2.1", 0),
      eth1: info("ethernet", "internet", ["192.0.2.11/24"], "192.0.2.1", 1),
    };
    const { tables, entries } = computeRoutes(infos, {});
    expect(tables).toEqual({ eth0: 100, eth1: 101, eth2: 102 });
    expect(entries.filter((entry) => entry.kind === "default_route")).toEqual([
      defaultVia("eth0", "192.0.2.1", 100, 0),
      defaultVia("eth1", "192.0.2.1", 101, 0),
      defaultVia("eth2", "192.0.2.1", 102, 0),
      defaultVia("eth0", "192.0.2.1", "main", 10),
      defaultVia("eth1", "192.0.2.1", "main", 11),
      defaultVia("eth2", "192.0.2.1", "main", 12),
    ]);
    expect(interfacesByPriority(entries)).toEqual(["eth0", "eth1", "eth2"]);
  });

  it("reuses the table of an interface that went away and keeps the others", () => {
    const previous = { eth0: 100, wlan0: 101 };
    const ppp0 = info("mobile", "internet", ["203.0.113.7/32"], undefined);
    const { tables, entries } = computeRoutes({ wlan0: wlan0Internet, ppp0 }, previous);
    expect(tables).toEqual({ ppp0: 100, wlan0: 101 });
    expect(entries).toEqual([
      rule("203.0.113.7", 100),
      rule("198.51.100.20", 101),
      subnet("ppp0", "203.0.113.7/32", "203.0.113.7", 100, 0),
      subnet("wlan0", "198.51.100.0/24", "198.51.100.20", 101, 0),
      subnet("wlan0", "198.51.100.0/24", "198.51.100.20", "main", 20),
      subnet("ppp0", "203.0.113.7/32", "203.0.113.7", "main", 30),
      defaultVia("wlan0", "198.51.100.1", 101, 0),
      defaultVia("wlan0", "198.51.100.1", "main", 20),
    ]);
  });

  it("keeps tables sticky across recomputations whatever the order of infos", () => {
    const first = computeRoutes({ wlan0: wlan0Internet }, {});
    expect(first.tables).toEqual({ wlan0: 100 });
    const second = computeRoutes({ eth0: eth0Internet, wlan0: wlan0Internet }, first.tables);
    expect(second.tables).toEqual({ eth0: 101, wlan0: 100 });
    const third = computeRoutes({ wlan0: wlan0Internet, eth0: eth0Internet }, second.tables);
    expect(third.tables).toEqual({ eth0: 101, wlan0: 100 });
    expect(third.entries).toEqual(second.entries);
    expect(third.entries.filter((entry) => entry.kind === "rule")).toEqual([
      rule("198.51.100.20", 100),
      rule("192.0.2.10", 101),
    ]);
  });

  it("leaves a 9th interface without a table and reports it", () => {
    const infos: Record<string, InterfaceInfo> = {};
    for (let i = 0; i < 9; i += 1) {
      infos[`eth${i}`] = info("ethernet", "lan", [`192.0.2.${10 + i}/32`], undefined, i);
    }
    const { tables, entries, skipped } = computeRoutes(infos, {});
    expect(tables).toEqual({
      eth0: 100,
      eth1: 101,
      eth2: 102,
      eth3: 103,
      eth4: 104,
      eth5: 105,
      eth6: 106,
      eth7: 107,
    });
    expect(skipped).toEqual([{ ifname: "eth8", reason: "no free routing table" }]);
    expect(entries).toHaveLength(8 * 3);
    expect(entries.some((entry) => entry.kind !== "rule" && entry.ifname === "eth8")).toBe(false);
    expect(entries.some((entry) => entry.kind === "rule" && entry.from === "192.0.2.18")).toBe(
      false,
    );
  });

  it("uses a custom metric function; 'disabled' means no entries, invalid metrics are skipped", () => {
    const metric: MetricFunction = (ifname) => {
      switch (ifname) {
        case "eth0":
          return 7;
        case "eth1":
          return "disabled";
        case "eth2":
          return -1;
        case "eth3":
          return 1.5;
        default:
          return 1000;
      }
    };
    const infos = {
      eth0: info("ethernet", "lan", ["192.0.2.10/24"]),
      eth1: info("ethernet", "internet", ["198.51.100.10/24"], "198.51.100.1"),
      eth2: info("ethernet", "internet", ["203.0.113.10/24"], "203.0.113.1"),
      eth3: info("ethernet", "internet", ["203.0.113.130/25"], "203.0.113.129"),
      wlan0: info("wifi", "lan", ["10.0.0.2/8"]),
    };
    expect(computeRoutes(infos, {}, metric)).toEqual({
      tables: { eth0: 100, eth1: 101, eth2: 102, eth3: 103, wlan0: 104 },
      entries: [
        rule("192.0.2.10", 100),
        rule("10.0.0.2", 104),
        subnet("eth0", "192.0.2.0/24", "192.0.2.10", 100, 0),
        subnet("wlan0", "10.0.0.0/8", "10.0.0.2", 104, 0),
        subnet("eth0", "192.0.2.0/24", "192.0.2.10", "main", 7),
        subnet("wlan0", "10.0.0.0/8", "10.0.0.2", "main", 1000),
      ],
      skipped: [
        { ifname: "eth2", reason: "invalid metric" },
        { ifname: "eth3", reason: "invalid metric" },
      ],
    });
  });

  it("does not ask the metric function about disconnected interfaces", () => {
    const asked: string[] = [];
    const metric: MetricFunction = (ifname) => {
      asked.push(ifname);
      return 5;
    };
    computeRoutes(
      {
        eth0: info("ethernet", "disconnected", ["192.0.2.10/24"]),
        wlan0: wlan0Internet,
      },
      {},
      metric,
    );
    expect(asked).toEqual(["wlan0"]);
  });

  it("moves a tie one metric up, since Linux refuses two default routes with one metric", () => {
    // eth0 and eth10 both weigh 0; wlan0 at 20 must not collide with a bumped eth.
    const { entries } = computeRoutes(
      {
        eth0: eth0Internet,
        eth10: info("ethernet", "internet", ["198.18.10.10/24"], "198.18.10.1", 0),
        eth19: info("ethernet", "internet", ["198.18.19.10/24"], "198.18.19.1", 9),
        wlan0: wlan0Internet,
      },
      {},
    );
    const mainDefaults = entries.filter(
      (entry) => entry.kind === "default_route" && entry.table === "main",
    );
    expect(
      mainDefaults.map((entry) => [
        (entry as { ifname: string }).ifname,
        (entry as { metric: number }).metric,
      ]),
    ).toEqual([
      ["eth0", 10],
      ["eth10", 11],
      ["eth19", 19],
      ["wlan0", 20],
    ]);
  });

  it("does not report a disconnected 9th interface as left without routes", () => {
    const infos: Record<string, InterfaceInfo> = {};
    for (let i = 0; i < 8; i += 1) {
      infos[`eth${i}`] = info("ethernet", "lan", [`192.0.2.${10 + i}/32`], undefined, i);
    }
    infos.wlan0 = info("wifi", "disconnected", ["198.51.100.20/24"]);
    expect(computeRoutes(infos, {}).skipped).toEqual([]);
  });

  it("puts mobile internet (30) before ethernet LAN (50)", () => {
    const { entries } = computeRoutes(
      {
        eth0: info("ethernet", "lan", ["192.0.2.10/24"], "192.0.2.1"),
        ppp0: info("mobile", "internet", ["203.0.113.7/24"], "203.0.113.1"),
      },
      {},
    );
    expect(entries.filter((entry) => entry.kind === "default_route")).toEqual([
      defaultVia("eth0", "192.0.2.1", 100, 0),
      defaultVia("ppp0", "203.0.113.1", 101, 0),
      defaultVia("ppp0", "203.0.113.1", "main", 30),
      defaultVia("eth0", "192.0.2.1", "main", 50),
    ]);
    expect(interfacesByPriority(entries)).toEqual(["ppp0", "eth0"]);
  });
});

describe("defaultMetric", () => {
  it.each([
    ["ethernet", "internet", 10],
    ["wifi", "internet", 20],
    ["mobile", "internet", 30],
    ["local", "internet", 40],
    ["unknown", "internet", 40],
    ["ethernet", "lan", 50],
    ["wifi", "lan", 60],
    ["mobile", "lan", 70],
    ["local", "lan", 80],
    ["unknown", "lan", 80],
  ] as const)("ranks %s with %s as %i", (type, status, metric) => {
    expect(defaultMetric("x0", info(type, status, []))).toBe(metric);
    expect(defaultMetric("x0", info(type, status, [], undefined, 7))).toBe(metric + 7);
  });

  it.each(["ethernet", "wifi", "mobile", "local", "unknown"] as const)(
    "disables a disconnected %s interface",
    (type) => {
      expect(defaultMetric("x0", info(type, "disconnected", []))).toBe("disabled");
    },
  );
});

describe("interface names", () => {
  it.each([
    ["eth0", "ethernet"],
    ["enp0s3", "ethernet"],
    ["eno1", "ethernet"],
    ["wlan0", "wifi"],
    ["wlp2s0", "wifi"],
    ["ra0", "wifi"],
    ["ppp0", "mobile"],
    ["wwan0", "mobile"],
    ["lo", "local"],
    ["tap0", "local"],
    ["usb0", "unknown"],
    ["br-lan", "unknown"],
    ["xeth0", "unknown"],
  ] as const)("%s is %s", (ifname, type) => {
    expect(interfaceTypeFromName(ifname)).toBe(type);
  });

  it.each([
    ["eth0", 0],
    ["eth1", 1],
    ["eth2", 2],
    ["enp0s13", 3],
    ["wlan12", 2],
    ["lo", 0],
    ["br-lan", 0],
  ] as const)("%s weighs %i", (ifname, weight) => {
    expect(weightFromName(ifname)).toBe(weight);
  });
});

describe("interfacesByPriority", () => {
  it("orders interfaces by the metric of their default route in main, ignoring other tables", () => {
    const entries: RouteEntry[] = [
      defaultVia("wlan0", "198.51.100.1", "main", 20),
      defaultVia("usb0", "10.0.0.1", 102, 0),
      subnet("lo0", "127.0.0.0/8", "127.0.0.1", "main", 1),
      defaultVia("ppp0", "203.0.113.1", "main", 30),
      defaultVia("eth0", "192.0.2.1", "main", 50),
      defaultVia("eth0", "192.0.2.1", 100, 0),
      rule("192.0.2.10", 100),
    ];
    expect(interfacesByPriority(entries)).toEqual(["wlan0", "ppp0", "eth0"]);
  });

  it("is empty without default routes in main", () => {
    expect(
      interfacesByPriority([subnet("eth0", "192.0.2.0/24", "192.0.2.10", "main", 10)]),
    ).toEqual([]);
  });
});
