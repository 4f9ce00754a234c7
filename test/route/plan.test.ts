import { describe, expect, it } from "vitest";
import { InvalidInterfaceNameError } from "../../src/linux/interface-name.js";
import { changeCommand } from "../../src/route/ip-commands.js";
import { planChanges } from "../../src/route/plan.js";
import type { RouteChange, RouteEntry } from "../../src/route/types.js";
import { defaultVia, rule, subnet } from "../support/entries.js";

/** eth0 (table 100) at `metric` in main, wlan0 (table 101) with internet at 20. */
function twoInterfaces(eth0Metric: number, eth0Gateway = "192.0.2.1"): RouteEntry[] {
  return [
    rule("192.0.2.10", 100),
    rule("198.51.100.20", 101),
    subnet("eth0", "192.0.2.0/24", "192.0.2.10", 100, 0),
    subnet("wlan0", "198.51.100.0/24", "198.51.100.20", 101, 0),
    subnet("eth0", "192.0.2.0/24", "192.0.2.10", "main", eth0Metric),
    subnet("wlan0", "198.51.100.0/24", "198.51.100.20", "main", 20),
    defaultVia("eth0", eth0Gateway, 100, 0),
    defaultVia("wlan0", "198.51.100.1", 101, 0),
    defaultVia("eth0", eth0Gateway, "main", eth0Metric),
    defaultVia("wlan0", "198.51.100.1", "main", 20),
  ];
}

const eth0Only = (eth0Metric: number): RouteEntry[] =>
  twoInterfaces(eth0Metric).filter((e) =>
    e.kind === "rule" ? e.table === 100 : e.ifname === "eth0",
  );

/** The metrics of main's default routes after each add/del step of `changes`. */
function mainDefaultMetricsAfterEachStep(
  applied: RouteEntry[],
  changes: RouteChange[],
): number[][] {
  const same = (a: RouteEntry, b: RouteEntry) => JSON.stringify(a) === JSON.stringify(b);
  let current = [...applied];
  return changes.map(({ op, entry }) => {
    current = op === "del" ? current.filter((e) => !same(e, entry)) : [...current, entry];
    return current.flatMap((e) =>
      e.kind === "default_route" && e.table === "main" ? [e.metric] : [],
    );
  });
}

describe("planChanges", () => {
  it("has nothing to do when applied and desired are equal", () => {
    expect(planChanges(twoInterfaces(10), twoInterfaces(10))).toEqual([]);
    expect(planChanges([], [])).toEqual([]);
  });

  it("adds everything from empty, rules first and main last", () => {
    // Deliberately shuffled: the plan must sort the additions itself.
    const desired = [
      defaultVia("eth0", "192.0.2.1", "main", 10),
      subnet("eth0", "192.0.2.0/24", "192.0.2.10", "main", 10),
      defaultVia("eth0", "192.0.2.1", 100, 0),
      rule("192.0.2.10", 100),
      subnet("eth0", "192.0.2.0/24", "192.0.2.10", 100, 0),
    ];
    expect(planChanges([], desired)).toEqual([
      { op: "add", entry: rule("192.0.2.10", 100) },
      { op: "add", entry: subnet("eth0", "192.0.2.0/24", "192.0.2.10", 100, 0) },
      { op: "add", entry: subnet("eth0", "192.0.2.0/24", "192.0.2.10", "main", 10) },
      { op: "add", entry: defaultVia("eth0", "192.0.2.1", 100, 0) },
      { op: "add", entry: defaultVia("eth0", "192.0.2.1", "main", 10) },
    ]);
  });

  it("deletes everything to empty, default routes first and rules last", () => {
    expect(planChanges(twoInterfaces(10), [])).toEqual([
      { op: "del", entry: defaultVia("wlan0", "198.51.100.1", "main", 20) },
      { op: "del", entry: defaultVia("eth0", "192.0.2.1", "main", 10) },
      { op: "del", entry: defaultVia("wlan0", "198.51.100.1", 101, 0) },
      { op: "del", entry: defaultVia("eth0", "192.0.2.1", 100, 0) },
      { op: "del", entry: subnet("wlan0", "198.51.100.0/24", "198.51.100.20", "main", 20) },
      { op: "del", entry: subnet("eth0", "192.0.2.0/24", "192.0.2.10", "main", 10) },
      { op: "del", entry: subnet("wlan0", "198.51.100.0/24", "198.51.100.20", 101, 0) },
      { op: "del", entry: subnet("eth0", "192.0.2.0/24", "192.0.2.10", 100, 0) },
      { op: "del", entry: rule("198.51.100.20", 101) },
      { op: "del", entry: rule("192.0.2.10", 100) },
    ]);
  });

  it("adds the new-metric routes before deleting the old ones when eth0 drops to LAN", () => {
    // eth0 alone: the old default route is its only one, so its order matters.
    const applied = eth0Only(10);
    const changes = planChanges(applied, eth0Only(50));
    expect(changes).toEqual([
      { op: "add", entry: subnet("eth0", "192.0.2.0/24", "192.0.2.10", "main", 50) },
      { op: "add", entry: defaultVia("eth0", "192.0.2.1", "main", 50) },
      { op: "del", entry: defaultVia("eth0", "192.0.2.1", "main", 10) },
      { op: "del", entry: subnet("eth0", "192.0.2.0/24", "192.0.2.10", "main", 10) },
    ]);
    // Make before break: at no point is main without a default route.
    expect(mainDefaultMetricsAfterEachStep(applied, changes)).toEqual([[10], [10, 50], [50], [50]]);
  });

  it("replaces a default route whose gateway changed at the same metric, deleting nothing", () => {
    expect(planChanges(twoInterfaces(10), twoInterfaces(10, "192.0.2.254"))).toEqual([
      { op: "replace", entry: defaultVia("eth0", "192.0.2.254", 100, 0) },
      { op: "replace", entry: defaultVia("eth0", "192.0.2.254", "main", 10) },
    ]);
  });

  it("adds a changed rule and deletes the old one (rules are never replaced)", () => {
    const applied = [rule("192.0.2.10", 100), rule("198.51.100.20", 101)];
    const desired = [rule("192.0.2.11", 100), rule("198.51.100.20", 101)];
    expect(planChanges(applied, desired)).toEqual([
      { op: "add", entry: rule("192.0.2.11", 100) },
      { op: "del", entry: rule("192.0.2.10", 100) },
    ]);
  });

  it("replaces a subnet route whose source changed at the same table and metric", () => {
    const applied = [subnet("eth0", "192.0.2.0/24", "192.0.2.10", "main", 10)];
    const desired = [subnet("eth0", "192.0.2.0/24", "192.0.2.11", "main", 10)];
    expect(planChanges(applied, desired)).toEqual([
      { op: "replace", entry: subnet("eth0", "192.0.2.0/24", "192.0.2.11", "main", 10) },
    ]);
  });
});

describe("changeCommand", () => {
  it.each<[RouteChange, string]>([
    [
      { op: "add", entry: defaultVia("eth0", "192.0.2.1", "main", 10) },
      "route add default via 192.0.2.1 dev eth0 metric 10 table main proto 222",
    ],
    [
      { op: "replace", entry: defaultVia("eth0", "192.0.2.254", 100, 0) },
      "route replace default via 192.0.2.254 dev eth0 metric 0 table 100 proto 222",
    ],
    [
      { op: "del", entry: defaultVia("eth0", "192.0.2.1", "main", 10) },
      "route del default via 192.0.2.1 dev eth0 metric 10 table main",
    ],
    [
      { op: "del", entry: { kind: "default_route", ifname: "ppp0", metric: 0, table: "main" } },
      "route del default dev ppp0 metric 0 table main",
    ],
    [
      { op: "add", entry: rule("192.0.2.10", 100) },
      "rule add from 192.0.2.10 lookup 100 pref 100 protocol 222",
    ],
    [{ op: "del", entry: rule("192.0.2.10", 100) }, "rule del from 192.0.2.10 lookup 100 pref 100"],
    [
      { op: "add", entry: subnet("eth0", "192.0.2.0/24", "192.0.2.10", 100, 0) },
      "route add 192.0.2.0/24 dev eth0 src 192.0.2.10 scope link metric 0 table 100 proto 222",
    ],
    [
      { op: "del", entry: subnet("eth0", "192.0.2.0/24", "192.0.2.10", "main", 10) },
      "route del 192.0.2.0/24 dev eth0 src 192.0.2.10 scope link metric 10 table main",
    ],
    [
      {
        op: "del",
        entry: {
          kind: "subnet_route",
          ifname: "eth0",
          network: "10.0.0.0/8",
          metric: 0,
          table: 101,
        },
      },
      "route del 10.0.0.0/8 dev eth0 scope link metric 0 table 101",
    ],
  ])("renders %j", (change, line) => {
    expect(changeCommand(change)).toBe(line);
  });

  it.each(["eth0 flush", "eth0\nflush", "eth0\n", ""])(
    "refuses the interface name %j with a TypeError",
    (ifname) => {
      const entry = defaultVia(ifname, "192.0.2.1", "main", 10);
      expect(() => changeCommand({ op: "add", entry })).toThrow(TypeError);
      expect(() => changeCommand({ op: "del", entry })).toThrow(InvalidInterfaceNameError);
    },
  );

  it("refuses a gateway or rule source that would split the batch line", () => {
    expect(() =>
      changeCommand({ op: "add", entry: defaultVia("eth0", "192.0.2.1\nroute flush", "main", 1) }),
    ).toThrow(TypeError);
    expect(() => changeCommand({ op: "add", entry: rule("192.0.2.10 lookup 254", 100) })).toThrow(
      TypeError,
    );
  });
});
