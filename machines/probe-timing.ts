/**
 * How long a probe waits for its answer, from what the link has shown: the
 * round-trip estimator of RFC 6298 (TCP's retransmission timer) fed with
 * the connect times of answered probes. A 20 ms uplink then gives up on a
 * probe within a few hundred milliseconds instead of a fixed two seconds,
 * and a 300 ms one is not failed for being slow. Each unanswered probe in a
 * row doubles the wait (RFC 6298 5.5, Karn's rule: no sample from a probe
 * that got no answer), so a link whose round trip grew is still heard.
 */

export interface RttEstimate {
  /** Smoothed round-trip time. */
  srttMs: number;
  /** Its mean deviation. */
  rttvarMs: number;
}

export interface ProbeTimeoutSettings {
  /** The longest a probe waits, and the wait while no answer has been timed yet. */
  timeoutMs: number;
  /** The shortest: below it, scheduling noise on a busy device would pass for loss. */
  minTimeoutMs: number;
}

/** RFC 6298's clock granularity term: never less than this above the smoothed round trip. */
const GRANULARITY_MS = 10;
/** Beyond this many doublings the ceiling has long been reached. */
const MAX_DOUBLINGS = 20;

/** The estimate after one more timed answer (RFC 6298 2.2 and 2.3, α = 1/8, β = 1/4). */
export function updateRtt(estimate: RttEstimate | undefined, sampleMs: number): RttEstimate {
  const sample = Math.max(0, sampleMs);
  if (!estimate) return { srttMs: sample, rttvarMs: sample / 2 };
  return {
    rttvarMs: 0.75 * estimate.rttvarMs + 0.25 * Math.abs(estimate.srttMs - sample),
    srttMs: 0.875 * estimate.srttMs + 0.125 * sample,
  };
}

/**
 * SRTT + max(G, 4·RTTVAR) within [minTimeoutMs, timeoutMs], doubled per
 * unanswered probe in a row (still within the ceiling); timeoutMs before
 * any answer was timed.
 */
export function probeTimeoutMs(
  estimate: RttEstimate | undefined,
  unanswered: number,
  settings: ProbeTimeoutSettings,
): number {
  const ceiling = settings.timeoutMs;
  if (!estimate) return ceiling;
  const floor = Math.min(settings.minTimeoutMs, ceiling);
  const rto = estimate.srttMs + Math.max(GRANULARITY_MS, 4 * estimate.rttvarMs);
  const doublings = Math.min(Math.max(unanswered, 0), MAX_DOUBLINGS);
  return Math.round(Math.min(Math.max(rto, floor) * 2 ** doublings, ceiling));
}
