import { describe, expect, it, vi } from "vitest";
import { type PropertyChange, PropertyTable } from "../../src/properties/property-table.js";

/** A clock that advances by 10 ms on every reading, so each timestamp is distinct. */
function steppingClock(start = 1000): () => number {
  let time = start - 10;
  return () => {
    time += 10;
    return time;
  };
}

function record(table: PropertyTable, prefix: readonly string[]): PropertyChange[] {
  const changes: PropertyChange[] = [];
  table.subscribe(prefix, (change) => changes.push(change));
  return changes;
}

describe("PropertyTable reads", () => {
  it("get returns the stored value, undefined for unknown or partial keys", () => {
    const table = new PropertyTable();
    table.put(["interface", "eth0", "connection"], "internet");
    expect(table.get(["interface", "eth0", "connection"])).toBe("internet");
    expect(table.get(["interface", "eth0"])).toBeUndefined();
    expect(table.get(["interface", "wlan0", "connection"])).toBeUndefined();
  });

  it("getByPrefix returns every key under the prefix, sorted by key", () => {
    const table = new PropertyTable();
    table.put(["interface", "wlan0", "type"], "wifi");
    table.put(["interface", "eth0", "type"], "ethernet");
    table.put(["interface", "eth0", "connection"], "lan");
    table.put(["available_interfaces"], ["eth0"]);
    expect(table.getByPrefix(["interface"])).toEqual([
      [["interface", "eth0", "connection"], "lan"],
      [["interface", "eth0", "type"], "ethernet"],
      [["interface", "wlan0", "type"], "wifi"],
    ]);
    expect(table.getByPrefix(["interface", "eth0"])).toEqual([
      [["interface", "eth0", "connection"], "lan"],
      [["interface", "eth0", "type"], "ethernet"],
    ]);
    expect(table.getByPrefix(["nothing"])).toEqual([]);
  });

  it("getByPrefix accepts a * segment matching any one segment", () => {
    const table = new PropertyTable();
    table.put(["interface", "wlan0", "type"], "wifi");
    table.put(["interface", "eth0", "type"], "ethernet");
    table.put(["interface", "eth0", "connection"], "lan");
    expect(table.getByPrefix(["interface", "*", "type"])).toEqual([
      [["interface", "eth0", "type"], "ethernet"],
      [["interface", "wlan0", "type"], "wifi"],
    ]);
  });

  it("match: * matches exactly one segment, a final ** any number of the rest", () => {
    const table = new PropertyTable();
    table.put(["interface", "eth0", "type"], "ethernet");
    table.put(["interface", "eth0", "addresses", "ipv4"], ["192.0.2.10"]);
    table.put(["interface", "wlan0", "type"], "wifi");
    table.put(["interface", "wlan0", "wifi", "ssid"], "home");
    expect(table.match(["interface", "*", "type"])).toEqual([
      [["interface", "eth0", "type"], "ethernet"],
      [["interface", "wlan0", "type"], "wifi"],
    ]);
    // `*` is one segment only: three-segment patterns do not reach four-segment keys.
    expect(table.match(["interface", "*", "*"])).toEqual([
      [["interface", "eth0", "type"], "ethernet"],
      [["interface", "wlan0", "type"], "wifi"],
    ]);
    expect(table.match(["interface", "wlan0", "**"])).toEqual([
      [["interface", "wlan0", "type"], "wifi"],
      [["interface", "wlan0", "wifi", "ssid"], "home"],
    ]);
    expect(table.match(["interface", "*", "addresses", "**"])).toEqual([
      [["interface", "eth0", "addresses", "ipv4"], ["192.0.2.10"]],
    ]);
    expect(table.match(["interface", "eth0"])).toEqual([]);
  });
});

describe("PropertyTable timestamps", () => {
  it("getWithTimestamp answers the value and when it was set; undefined when unset or cleared", () => {
    const table = new PropertyTable({ now: steppingClock() });
    expect(table.getWithTimestamp(["interface", "eth0", "state"])).toBeUndefined();
    table.put(["interface", "eth0", "state"], "configuring");
    table.put(["interface", "eth0", "state"], "configured");
    expect(table.getWithTimestamp(["interface", "eth0", "state"])).toEqual({
      value: "configured",
      timestamp: 1010,
    });
    table.clear(["interface", "eth0", "state"]);
    expect(table.getWithTimestamp(["interface", "eth0", "state"])).toBeUndefined();
  });

  it("a put of a deep-equal value keeps the stamp: it says since when the value holds", () => {
    const table = new PropertyTable({ now: steppingClock() });
    table.put(["connection"], "internet");
    table.put(["connection"], "internet");
    table.putMany([[["connection"], "internet"]]);
    expect(table.getWithTimestamp(["connection"])).toEqual({ value: "internet", timestamp: 1000 });
  });

  it("a change's oldTimestamp is the stamp getWithTimestamp gave for the old value", () => {
    const table = new PropertyTable({ now: steppingClock() });
    table.put(["a"], 1);
    const before = table.getWithTimestamp(["a"]);
    const changes = record(table, []);
    table.put(["a"], 2);
    expect(changes[0]?.oldTimestamp).toBe(before?.timestamp);
    expect(changes[0]?.newTimestamp).toBe(table.getWithTimestamp(["a"])?.timestamp);
  });

  it("stamps come from a monotonic clock by default: later changes never have earlier stamps", () => {
    const table = new PropertyTable();
    const changes = record(table, []);
    for (let value = 0; value < 50; value += 1) table.put(["a"], value);
    for (const change of changes.slice(1)) {
      expect(change.newTimestamp).toBeGreaterThanOrEqual(change.oldTimestamp ?? Number.NaN);
    }
    // performance.now(): milliseconds since this process started, not since 1970.
    const stamp = table.getWithTimestamp(["a"])?.timestamp ?? Number.NaN;
    expect(stamp).toBeLessThanOrEqual(performance.now());
    expect(stamp).toBeLessThan(Date.now() / 2);
  });
});

describe("PropertyTable writes", () => {
  it("put stores a value and replaces an earlier one", () => {
    const table = new PropertyTable();
    table.put(["a"], 1);
    table.put(["a"], 2);
    expect(table.get(["a"])).toBe(2);
    expect(table.getByPrefix([])).toEqual([[["a"], 2]]);
  });

  it("putMany writes every value before any listener is called", () => {
    const table = new PropertyTable();
    const seen: Array<[string, unknown, unknown]> = [];
    table.subscribe(["interface"], (change) => {
      seen.push([
        change.key.join("/"),
        table.get(["interface", "eth0", "type"]),
        table.get(["interface", "eth0", "connection"]),
      ]);
    });
    table.putMany([
      [["interface", "eth0", "type"], "ethernet"],
      [["interface", "eth0", "connection"], "internet"],
    ]);
    expect(seen).toEqual([
      ["interface/eth0/type", "ethernet", "internet"],
      ["interface/eth0/connection", "ethernet", "internet"],
    ]);
  });

  it("clear removes one key and notifies with new undefined", () => {
    const table = new PropertyTable({ now: steppingClock() });
    table.put(["a", "b"], 1);
    table.put(["a", "c"], 2);
    const changes = record(table, ["a"]);
    table.clear(["a", "b"]);
    table.clear(["a", "missing"]);
    expect(table.getByPrefix([])).toEqual([[["a", "c"], 2]]);
    expect(changes).toEqual([
      { key: ["a", "b"], old: 1, new: undefined, oldTimestamp: 1000, newTimestamp: 1020 },
    ]);
  });

  it("clearPrefix removes every key under the prefix and nothing else", () => {
    const table = new PropertyTable();
    table.put(["interface", "eth0", "type"], "ethernet");
    table.put(["interface", "eth0", "connection"], "lan");
    table.put(["interface", "eth1", "type"], "ethernet");
    table.put(["interface", "eth01", "type"], "ethernet");
    const changes = record(table, []);
    table.clearPrefix(["interface", "eth0"]);
    expect(table.getByPrefix([])).toEqual([
      [["interface", "eth01", "type"], "ethernet"],
      [["interface", "eth1", "type"], "ethernet"],
    ]);
    expect(changes.map((change) => [change.key, change.old, change.new])).toEqual([
      [["interface", "eth0", "type"], "ethernet", undefined],
      [["interface", "eth0", "connection"], "lan", undefined],
    ]);
  });

  it("put(key, undefined) removes the key and notifies with new undefined", () => {
    const table = new PropertyTable({ now: steppingClock() });
    table.put(["a"], "x");
    const changes = record(table, ["a"]);
    table.put(["a"], undefined);
    expect(table.get(["a"])).toBeUndefined();
    expect(table.getByPrefix([])).toEqual([]);
    expect(changes).toEqual([
      { key: ["a"], old: "x", new: undefined, oldTimestamp: 1000, newTimestamp: 1010 },
    ]);
    // Removing a key that is not there is no change.
    table.put(["a"], undefined);
    expect(changes).toHaveLength(1);
  });
});

describe("PropertyTable subscriptions", () => {
  it("delivers old and new values with timestamps from the injected clock", () => {
    const table = new PropertyTable({ now: steppingClock() });
    const changes = record(table, ["interface", "eth0"]);
    table.put(["interface", "eth0", "connection"], "lan");
    table.put(["interface", "eth0", "connection"], "internet");
    expect(changes).toEqual([
      {
        key: ["interface", "eth0", "connection"],
        old: undefined,
        new: "lan",
        oldTimestamp: undefined,
        newTimestamp: 1000,
      },
      {
        key: ["interface", "eth0", "connection"],
        old: "lan",
        new: "internet",
        oldTimestamp: 1000,
        newTimestamp: 1010,
      },
    ]);
  });

  it("only calls listeners whose prefix (with * wildcards) covers the key", () => {
    const table = new PropertyTable();
    const eth0 = record(table, ["interface", "eth0"]);
    const anyType = record(table, ["interface", "*", "type"]);
    const everything = record(table, []);
    table.put(["interface", "eth0", "type"], "ethernet");
    table.put(["interface", "wlan0", "type"], "wifi");
    table.put(["interface", "wlan0", "connection"], "lan");
    const keys = (changes: PropertyChange[]) => changes.map((change) => change.key.join("/"));
    expect(keys(eth0)).toEqual(["interface/eth0/type"]);
    expect(keys(anyType)).toEqual(["interface/eth0/type", "interface/wlan0/type"]);
    expect(keys(everything)).toEqual([
      "interface/eth0/type",
      "interface/wlan0/type",
      "interface/wlan0/connection",
    ]);
  });

  it("keeps its own frozen copy, so a caller changing its array later is noticed on the next put", () => {
    const table = new PropertyTable({ now: steppingClock() });
    const addresses = ["192.0.2.10/24"];
    table.put(["interface", "eth0", "addresses"], addresses);
    const changes = record(table, []);
    addresses.push("192.0.2.11/24");
    expect(table.get(["interface", "eth0", "addresses"])).toEqual(["192.0.2.10/24"]);
    table.put(["interface", "eth0", "addresses"], addresses);
    expect(changes.map((change) => change.new)).toEqual([["192.0.2.10/24", "192.0.2.11/24"]]);
    const stored = table.get<string[]>(["interface", "eth0", "addresses"]);
    expect(() => stored?.push("x")).toThrow(TypeError);
  });

  it("a deep-equal value notifies nobody and keeps the old timestamp", () => {
    const table = new PropertyTable({ now: steppingClock() });
    table.put(["addresses"], [{ address: "192.0.2.10", prefixLength: 24 }]);
    const changes = record(table, []);
    table.put(["addresses"], [{ address: "192.0.2.10", prefixLength: 24 }]);
    table.putMany([[["addresses"], [{ address: "192.0.2.10", prefixLength: 24 }]]]);
    expect(changes).toEqual([]);
    table.put(["addresses"], []);
    expect(changes).toEqual([
      {
        key: ["addresses"],
        old: [{ address: "192.0.2.10", prefixLength: 24 }],
        new: [],
        oldTimestamp: 1000,
        newTimestamp: 1010,
      },
    ]);
  });

  it("the unsubscribe function stops delivery to that listener only", () => {
    const table = new PropertyTable();
    const first = vi.fn();
    const second = vi.fn();
    const unsubscribe = table.subscribe(["a"], first);
    table.subscribe(["a"], second);
    table.put(["a"], 1);
    unsubscribe();
    table.put(["a"], 2);
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledTimes(2);
  });

  it("a throwing listener is reported and does not stop the others or the table", () => {
    const reported: Array<[unknown, unknown]> = [];
    const table = new PropertyTable({
      onListenerError: (error, change) => reported.push([error, change.new]),
    });
    const failure = new Error("listener broke");
    const before: unknown[] = [];
    const after: unknown[] = [];
    table.subscribe(["a"], (change) => before.push(change.new));
    table.subscribe(["a"], () => {
      throw failure;
    });
    table.subscribe(["a"], (change) => after.push(change.new));
    table.put(["a"], 1);
    table.put(["a"], 2);
    expect(before).toEqual([1, 2]);
    expect(after).toEqual([1, 2]);
    expect(reported).toEqual([
      [failure, 1],
      [failure, 2],
    ]);
    expect(table.get(["a"])).toBe(2);
  });

  it("an onListenerError that throws does not stop delivery", () => {
    const table = new PropertyTable({
      onListenerError: () => {
        throw new Error("reporter broke");
      },
    });
    const seen: unknown[] = [];
    table.subscribe(["a"], () => {
      throw new Error("listener broke");
    });
    table.subscribe(["a"], (change) => seen.push(change.new));
    expect(() => table.put(["a"], 1)).not.toThrow();
    expect(() => table.put(["a"], 2)).not.toThrow();
    expect(seen).toEqual([1, 2]);
  });

  it("a put from inside a listener is delivered after the current change, in order", () => {
    const table = new PropertyTable();
    const log: string[] = [];
    table.subscribe(["a"], (change) => {
      log.push(`first saw a=${String(change.new)}`);
      if (change.new === 1) {
        table.put(["b"], "from first");
        table.put(["a"], 2);
      }
    });
    table.subscribe([], (change) => {
      log.push(`second saw ${change.key.join("/")}=${String(change.new)}`);
    });
    table.put(["a"], 1);
    expect(log).toEqual([
      "first saw a=1",
      "second saw a=1",
      "second saw b=from first",
      "first saw a=2",
      "second saw a=2",
    ]);
    expect(table.get(["a"])).toBe(2);
    expect(table.get(["b"])).toBe("from first");
  });
});
