import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONNECTIVITY } from "../../machines/connectivity-checker.js";
import { probeTimeoutMs, type RttEstimate, updateRtt } from "../../machines/probe-timing.js";

const settings = DEFAULT_CONNECTIVITY;

/** The estimate after `samples`, in order. */
const estimateOf = (samples: readonly number[]) =>
  samples.reduce<RttEstimate | undefined>(
    (estimate, sample) => updateRtt(estimate, sample),
    undefined,
  );

describe("probe timeouts from the link's round trip (RFC 6298)", () => {
  it("waits the ceiling until an answer was timed", () => {
    expect(probeTimeoutMs(undefined, 0, settings)).toBe(settings.timeoutMs);
  });

  it("follows a 20 ms and a 300 ms link: the floor for one, a little over its round trip for the other", () => {
    const quick = estimateOf(Array(20).fill(20));
    const slow = estimateOf(Array(20).fill(300));
    expect(probeTimeoutMs(quick, 0, settings)).toBe(settings.minTimeoutMs);
    const slowTimeout = probeTimeoutMs(slow, 0, settings);
    expect(slowTimeout).toBeGreaterThan(300);
    expect(slowTimeout).toBeLessThan(400);
    // A jittery link waits longer than a steady one of the same mean.
    const jittery = estimateOf(Array.from({ length: 20 }, (_, i) => (i % 2 ? 200 : 400)));
    expect(probeTimeoutMs(jittery, 0, settings)).toBeGreaterThan(slowTimeout);
  });

  it("doubles per unanswered probe, up to the ceiling", () => {
    const slow = estimateOf(Array(20).fill(300));
    const waits = [0, 1, 2, 3].map((unanswered) => probeTimeoutMs(slow, unanswered, settings));
    expect(waits[1]).toBe(Math.min(2 * (waits[0] as number), settings.timeoutMs));
    expect(waits[3]).toBe(settings.timeoutMs);
  });

  it("stays within its floor and ceiling and never shrinks with more unanswered probes, whatever the samples", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 10_000, noNaN: true }), { maxLength: 30 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 10, max: 5_000 }),
        fc.integer({ min: 50, max: 10_000 }),
        (samples, unanswered, minTimeoutMs, timeoutMs) => {
          const limits = { minTimeoutMs, timeoutMs };
          const estimate = estimateOf(samples);
          const wait = probeTimeoutMs(estimate, unanswered, limits);
          expect(wait).toBeGreaterThanOrEqual(Math.min(minTimeoutMs, timeoutMs) - 0.5);
          expect(wait).toBeLessThanOrEqual(timeoutMs);
          expect(probeTimeoutMs(estimate, unanswered + 1, limits)).toBeGreaterThanOrEqual(wait);
        },
      ),
    );
  });
});
