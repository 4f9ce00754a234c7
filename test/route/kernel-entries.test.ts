import { describe, expect, it } from "vitest";
import { computeRoutes } from "../../src/route/calculator.js";
import { entryId } from "../../src/route/ip-commands.js";
import {
  adoptTables,
  foreignDefaultRoutes,
  type IpRouteJson,
  type IpRuleJson,
  managedEntriesFromKernel,
} from "../../src/route/kernel-entries.js";
import type { RouteEntry } from "../../src/route/types.js";

// As printed by `ip -4 -j rule show` and `ip -4 -j route show table all` after
// statenet set up interface "va" (203.0.113.10/24 via 203.0.113.1, table 100).
const RULES: IpRuleJson[] = JSON.parse(
  '[{"priority":0,"src":"all","table":"local"},{"priority":100,"src":"203.0.113.10","table":"100","protocol":"222"},{"priority":32766,"src":"all","table":"main"}]',
);
const ROUTES: IpRouteJson[] = JSON.parse(
  '[{"dst":"default","gateway":"203.0.113.1","dev":"va","table":"100","protocol":"222","flags":[]},{"dst":"203.0.113.0/24","dev":"va","table":"100","protocol":"222","scope":"link","prefsrc":"203.0.113.10","flags":[]},{"dst":"default","gateway":"203.0.113.1","dev":"va","protocol":"222","metric":10,"flags":[]},{"dst":"203.0.113.0/24","dev":"va","protocol":"222","scope":"link","prefsrc":"203.0.113.10","metric":10,"flags":[]},{"type":"local","dst":"203.0.113.10","dev":"va","table":"local","protocol":"kernel","scope":"host","prefsrc":"203.0.113.10","flags":[]}]',
);

const OURS: RouteEntry[] = [
  { kind: "rule", from: "203.0.113.10", table: 100, priority: 100 },
  { kind: "default_route", ifname: "va", gateway: "203.0.113.1", metric: 0, table: 100 },
  {
    kind: "subnet_route",
    ifname: "va",
    network: "203.0.113.0/24",
    source: "203.0.113.10",
    metric: 0,
    table: 100,
  },
  { kind: "default_route", ifname: "va", gateway: "203.0.113.1", metric: 10, table: "main" },
  {
    kind: "subnet_route",
    ifname: "va",
    network: "203.0.113.0/24",
    source: "203.0.113.10",
    metric: 10,
    table: "main",
  },
];

describe("foreignDefaultRoutes", () => {
  it("lists others' default routes in main, with or without a gateway, and nothing of statenet's", () => {
    const routes: IpRouteJson[] = [
      ...ROUTES,
      { dst: "default", gateway: "203.0.113.254", dev: "vb", protocol: "dhcp", metric: 1024 },
      { dst: "default", dev: "ppp0", protocol: "boot", scope: "link" },
      { dst: "default", gateway: "203.0.113.1", dev: "va", table: "100" },
      { dst: "203.0.113.0/24", dev: "vb", protocol: "kernel", scope: "link" },
    ];
    expect(foreignDefaultRoutes(routes)).toEqual([
      {
        kind: "default_route",
        ifname: "vb",
        gateway: "203.0.113.254",
        metric: 1024,
        table: "main",
      },
      { kind: "default_route", ifname: "ppp0", gateway: undefined, metric: 0, table: "main" },
    ]);
  });
});

describe("managedEntriesFromKernel", () => {
  it("recognises statenet's own rules and routes and skips local, main and default rules", () => {
    expect(managedEntriesFromKernel(RULES, ROUTES)).toEqual(OURS);
  });

  it("returns nothing for an empty kernel", () => {
    expect(managedEntriesFromKernel([], [])).toEqual([]);
  });

  it("does not own a default route in main that someone else added", () => {
    const dhcp: IpRouteJson = {
      dst: "default",
      gateway: "203.0.113.254",
      dev: "vb",
      protocol: "dhcp",
      metric: 1024,
    };
    expect(managedEntriesFromKernel([], [dhcp])).toEqual([]);
  });

  it("does not own routes without its protocol in its own tables, nor rules without it", () => {
    const route: IpRouteJson = { dst: "default", gateway: "203.0.113.1", dev: "va", table: "100" };
    const rule: IpRuleJson = { priority: 100, src: "203.0.113.10", table: "100" };
    expect(managedEntriesFromKernel([rule], [route])).toEqual([]);
  });

  it("excludes a foreign non-default route in main", () => {
    const kernel: IpRouteJson = {
      dst: "203.0.113.0/24",
      dev: "va",
      protocol: "kernel",
      scope: "link",
      prefsrc: "203.0.113.10",
    };
    expect(managedEntriesFromKernel([], [kernel])).toEqual([]);
  });

  it("excludes routes in tables outside 100..107 and non-unicast routes", () => {
    const routes: IpRouteJson[] = [
      { dst: "default", gateway: "203.0.113.1", dev: "va", table: "99", protocol: "222" },
      { dst: "default", gateway: "203.0.113.1", dev: "va", table: "108", protocol: "222" },
      { type: "unreachable", dst: "default", table: "101", protocol: "222" },
      { type: "broadcast", dst: "203.0.113.255", dev: "va", table: "local", protocol: "kernel" },
      { dst: "203.0.113.7", dev: "va", table: "107", protocol: "222", scope: "link" },
    ];
    expect(managedEntriesFromKernel([], routes)).toEqual([
      {
        kind: "subnet_route",
        ifname: "va",
        network: "203.0.113.7/32",
        source: undefined,
        metric: 0,
        table: 107,
      },
    ]);
  });

  it("excludes rules into tables outside 100..107", () => {
    const rules: IpRuleJson[] = [
      { priority: 100, src: "203.0.113.10", table: "99", protocol: "222" },
      { priority: 100, src: "203.0.113.11", table: "108", protocol: "222" },
      { priority: 100, src: "203.0.113.12", table: "main", protocol: "222" },
      { priority: 100, src: "203.0.113.13", table: "107", protocol: "222" },
      { priority: 200, src: "all", table: "101", protocol: "222" },
    ];
    expect(managedEntriesFromKernel(rules, [])).toEqual([
      { kind: "rule", from: "203.0.113.13", table: 107, priority: 100 },
    ]);
  });

  it("gives a rule with a source prefix length a CIDR from", () => {
    const rules: IpRuleJson[] = [
      { priority: 100, src: "203.0.113.0", srclen: 24, table: "101", protocol: "222" },
    ];
    expect(managedEntriesFromKernel(rules, [])).toEqual([
      { kind: "rule", from: "203.0.113.0/24", table: 101, priority: 100 },
    ]);
  });

  it("reads back exactly the entries the calculator produced (same entry ids)", () => {
    const { entries } = computeRoutes(
      {
        eth0: {
          type: "ethernet",
          status: "internet",
          weight: 0,
          addresses: [{ address: "192.0.2.10", prefixLength: 24 }],
          gateway: "192.0.2.1",
        },
        wlan0: {
          type: "wifi",
          status: "lan",
          weight: 0,
          addresses: [
            { address: "198.51.100.20", prefixLength: 24 },
            { address: "198.51.100.21", prefixLength: 24 },
          ],
        },
      },
      {},
    );
    // What the kernel shows once those entries are in, written out by hand.
    const rules: IpRuleJson[] = JSON.parse(
      `[{"priority":0,"src":"all","table":"local"},
        {"priority":100,"src":"192.0.2.10","table":"100","protocol":"222"},
        {"priority":100,"src":"198.51.100.20","table":"101","protocol":"222"},
        {"priority":100,"src":"198.51.100.21","table":"101","protocol":"222"},
        {"priority":32766,"src":"all","table":"main"},
        {"priority":32767,"src":"all","table":"default"}]`,
    );
    const routes: IpRouteJson[] = JSON.parse(
      `[{"dst":"default","gateway":"192.0.2.1","dev":"eth0","table":"100","protocol":"222","flags":[]},
        {"dst":"192.0.2.0/24","dev":"eth0","table":"100","protocol":"222","scope":"link","prefsrc":"192.0.2.10","flags":[]},
        {"dst":"198.51.100.0/24","dev":"wlan0","table":"101","protocol":"222","scope":"link","prefsrc":"198.51.100.20","flags":[]},
        {"dst":"default","gateway":"192.0.2.1","dev":"eth0","protocol":"222","metric":10,"flags":[]},
        {"dst":"192.0.2.0/24","dev":"eth0","protocol":"222","scope":"link","prefsrc":"192.0.2.10","metric":10,"flags":[]},
        {"dst":"198.51.100.0/24","dev":"wlan0","protocol":"222","scope":"link","prefsrc":"198.51.100.20","metric":60,"flags":[]},
        {"type":"local","dst":"192.0.2.10","dev":"eth0","table":"local","protocol":"kernel","scope":"host","prefsrc":"192.0.2.10","flags":[]},
        {"type":"broadcast","dst":"192.0.2.255","dev":"eth0","table":"local","protocol":"kernel","scope":"link","prefsrc":"192.0.2.10","flags":[]}]`,
    );
    const fromKernel = managedEntriesFromKernel(rules, routes).map(entryId).sort();
    expect(fromKernel).toEqual(entries.map(entryId).sort());
    expect(fromKernel).toHaveLength(9);
  });
});

describe("adoptTables", () => {
  it("adopts the tables the kernel shows interfaces using", () => {
    expect(adoptTables({}, OURS)).toEqual({ va: 100 });
  });

  it("keeps an interface's known table and does not adopt a table already taken", () => {
    const entries: RouteEntry[] = [
      { kind: "default_route", ifname: "va", gateway: "203.0.113.1", metric: 0, table: 102 },
      { kind: "default_route", ifname: "vb", gateway: "198.51.100.1", metric: 0, table: 100 },
      { kind: "default_route", ifname: "vc", gateway: "192.0.2.1", metric: 0, table: 103 },
      {
        kind: "subnet_route",
        ifname: "vc",
        network: "192.0.2.0/24",
        source: "192.0.2.10",
        metric: 0,
        table: 104,
      },
    ];
    expect(adoptTables({ va: 101, vb: 100 }, entries)).toEqual({ va: 101, vb: 100, vc: 103 });
  });

  it("ignores rules and routes in main", () => {
    const entries: RouteEntry[] = [
      { kind: "rule", from: "203.0.113.10", table: 105, priority: 100 },
      { kind: "default_route", ifname: "va", gateway: "203.0.113.1", metric: 10, table: "main" },
    ];
    expect(adoptTables({ vb: 100 }, entries)).toEqual({ vb: 100 });
  });

  it("gives each table to the first interface seen using it", () => {
    const entries: RouteEntry[] = [
      { kind: "default_route", ifname: "vb", gateway: "198.51.100.1", metric: 0, table: 101 },
      { kind: "default_route", ifname: "va", gateway: "203.0.113.1", metric: 0, table: 101 },
    ];
    expect(adoptTables({}, entries)).toEqual({ vb: 101 });
  });

  it("does not modify the tables passed in", () => {
    const tables = { vb: 101 };
    expect(adoptTables(tables, OURS)).toEqual({ vb: 101, va: 100 });
    expect(tables).toEqual({ vb: 101 });
  });
});
