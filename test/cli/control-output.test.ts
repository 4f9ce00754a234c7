import { describe, expect, it } from "vitest";
import { showEntries, subscriptionLine, timeOfDay } from "../../src/cli/control-commands.js";
import type { PropertyEntry } from "../../src/control/protocol.js";

const NOW = new Date(2026, 11, 2, 14, 33, 0, 500);

const entry = (key: string, value: unknown, ageMs = 1_500): PropertyEntry => ({
  key: key.split("/"),
  value,
  timestamp: 1_000,
  ageMs,
});

const SUBTREE = [
  entry("interface/eth0/addresses", [{ family: "inet", address: "192.0.2.10", prefixLength: 24 }]),
  entry("interface/eth0/connection", "internet", 65_000),
  entry("interface/eth0/lower_up", true),
];

describe("statenet get", () => {
  const text = { json: false, withTimestamp: false, now: NOW };
  const json = { json: true, withTimestamp: false, now: NOW };

  it("a key: its value", () => {
    const [connection] = SUBTREE.slice(1);
    const key = ["interface", "eth0", "connection"];
    expect(showEntries(key, [connection as PropertyEntry], text)).toBe('"internet"');
    expect(showEntries(key, [connection as PropertyEntry], json)).toBe('"internet"');
    expect(showEntries(key, [connection as PropertyEntry], { ...json, withTimestamp: true })).toBe(
      JSON.stringify({
        value: "internet",
        timestamp: 1_000,
        age_ms: 65_000,
        set_at: new Date(NOW.getTime() - 65_000).toISOString(),
      }),
    );
  });

  it("a prefix: every key under it with its value, one per line, or one JSON object", () => {
    const prefix = ["interface", "eth0"];
    expect(showEntries(prefix, SUBTREE, text).split("\n")).toEqual([
      'interface/eth0/addresses   [{"family":"inet","address":"192.0.2.10","prefixLength":24}]',
      'interface/eth0/connection  "internet"',
      "interface/eth0/lower_up    true",
    ]);
    expect(JSON.parse(showEntries(prefix, SUBTREE, json))).toEqual({
      "interface/eth0/addresses": [{ family: "inet", address: "192.0.2.10", prefixLength: 24 }],
      "interface/eth0/connection": "internet",
      "interface/eth0/lower_up": true,
    });
    expect(showEntries(prefix, SUBTREE, { ...text, withTimestamp: true }).split("\n")[1]).toBe(
      'interface/eth0/connection  "internet"                                                    (set 1 min 05 s ago)',
    );
  });

  it("nothing found is an error, not null", () => {
    expect(() => showEntries(["interface", "eth9"], [], text)).toThrow(
      "no property interface/eth9",
    );
  });

  it("escapes a value that could move the cursor", () => {
    expect(showEntries(["x"], [entry("x", "\u009b2J")], text)).toBe('"\\x9b2J"');
    expect(showEntries(["x"], [entry("x", "\u009b2J")], json)).toBe('"\\u009b2J"');
  });
});

describe("statenet subscribe", () => {
  it("each line has its time: ISO time of day in text, the ISO time as a field in JSON", () => {
    expect(timeOfDay(NOW)).toBe("14:33:00.500");
    expect(
      subscriptionLine("current", ["interface", "eth0", "state"], "configured", NOW, false),
    ).toBe('14:33:00.500 interface/eth0/state "configured"');
    expect(
      JSON.parse(subscriptionLine("change", ["interface", "eth0", "state"], null, NOW, true)),
    ).toEqual({
      event: "change",
      time: NOW.toISOString(),
      key: "interface/eth0/state",
      value: null,
    });
  });
});
