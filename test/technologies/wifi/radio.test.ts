import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Band,
  dbmToPercent,
  frequencyToBand,
  frequencyToChannel,
  isChannelFrequency,
} from "../../../src/technologies/wifi/radio.js";
import { RUNS } from "../../fuzz/arbitraries.js";

describe("frequencyToChannel and frequencyToBand", () => {
  it.each([
    [2412, "2.4 GHz", 1],
    [2437, "2.4 GHz", 6],
    [2472, "2.4 GHz", 13],
    [2484, "2.4 GHz", 14],
    [4920, "5 GHz", 184],
    [5035, "5 GHz", 7],
    [5180, "5 GHz", 36],
    [5500, "5 GHz", 100],
    [5825, "5 GHz", 165],
    [5885, "5 GHz", 177],
    [5935, "6 GHz", 2],
    [5955, "6 GHz", 1],
    [6115, "6 GHz", 33],
    [7115, "6 GHz", 233],
    [58_320, "60 GHz", 1],
    [69_120, "60 GHz", 6],
  ] as const)("%i MHz is %s channel %i", (frequency, band, channel) => {
    expect(frequencyToChannel(frequency)).toBe(channel);
    expect(frequencyToBand(frequency)).toBe(band);
    expect(isChannelFrequency(frequency)).toBe(true);
  });

  it.each([0, -2412, 2413, 2477, 2479, 5000, 5900, 5950, 7120, 58_321, 71_280, 2412.5, Number.NaN])(
    "%d MHz is no channel",
    (frequency) => {
      expect(frequencyToChannel(frequency)).toBe(0);
      expect(frequencyToBand(frequency)).toBe("unknown");
      expect(isChannelFrequency(frequency)).toBe(false);
    },
  );
});

const BANDS: Band[] = ["2.4 GHz", "5 GHz", "6 GHz", "60 GHz", "unknown"];
const dbm = fc.oneof(
  fc.integer({ min: -150, max: 30 }),
  fc.double({ min: -200, max: 50, noNaN: true }),
  fc.constantFrom(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, -0),
);

describe("dbmToPercent", () => {
  it("follows VintageNetWiFi's curve: 100 % at the band's best dBm, 23 % at its worst", () => {
    expect(dbmToPercent(-20)).toBe(100);
    expect(dbmToPercent(-83.7)).toBe(23);
    expect(dbmToPercent(-44, "5 GHz")).toBe(100);
    expect(dbmToPercent(-89, "5 GHz")).toBe(23);
    // The same dBm reads weaker on 2.4 GHz, where a radio near the access point gets more.
    expect(dbmToPercent(-60)).toBe(66);
    expect(dbmToPercent(-60, "5 GHz")).toBe(86);
  });

  it("a received signal is at least 1 %; a value that is no number is 0 %", () => {
    expect(dbmToPercent(-200)).toBe(1);
    expect(dbmToPercent(Number.NEGATIVE_INFINITY)).toBe(1);
    expect(dbmToPercent(Number.NaN)).toBe(0);
  });

  it("is monotonic in dBm and a whole number in 0..100, in every band", () => {
    fc.assert(
      fc.property(fc.constantFrom(...BANDS), dbm, dbm, (band, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const percent = dbmToPercent(low, band);
        expect(Number.isInteger(percent)).toBe(true);
        expect(percent).toBeGreaterThanOrEqual(0);
        expect(percent).toBeLessThanOrEqual(100);
        expect(percent).toBeLessThanOrEqual(dbmToPercent(high, band));
      }),
      { numRuns: RUNS.many },
    );
  });
});
