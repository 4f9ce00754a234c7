/**
 * The probe budget: how many bytes on the wire an interface's checks may
 * spend per day. A token bucket without a clock: time is credited only for
 * waits the checker itself scheduled and saw to their end (a wait cut short
 * by an event counts as no time at all), so the checker can only ever
 * under-estimate what it may spend. Tokens may go below zero for the probes
 * that confirm a failure, which are never held back; the rate leaves room
 * for that debt and for the bucket's burst, so that no 24 hours ever see
 * more than `maxBytesPerDay`.
 */

export const DAY_MS = 86_400_000;
/** What a full bucket holds: room for confirming rounds and a link coming back, besides the regular checks. */
export const BURST_BYTES = 4_096;
/**
 * The share of the rate the regular checks are paced to; the rest keeps
 * the bucket full for checks nobody planned (a failure to confirm, a link
 * back), so one of those does not delay the next regular check.
 */
const REGULAR_SHARE = 0.95;
/**
 * What one probe of one host is assumed to cost before any was counted:
 * about a refused TCP connect (SYN 78 B and RST 64 B as Ethernet frames).
 */
export const FIRST_PROBE_BYTES = 150;
/** Counted per host probed when the rate's reserve is sized: a connect that got through and was reset. */
const RESERVED_PROBE_BYTES = 300;

export interface BudgetSettings {
  maxBytesPerDay: number;
  /** Hosts probed at once per confirming round, and the rounds. */
  confirmProbes: number;
  confirmRounds: number;
}

/** Bytes per millisecond the checks may spend on average. */
export function budgetRate(settings: BudgetSettings): number {
  const debt = settings.confirmRounds * settings.confirmProbes * RESERVED_PROBE_BYTES;
  // A budget smaller than the reserves still allows a tenth of itself.
  const spendable = Math.max(
    settings.maxBytesPerDay - BURST_BYTES - debt,
    settings.maxBytesPerDay / 10,
  );
  return spendable / DAY_MS;
}

/** The regular checks' pace: one probe of `probeBytes` per this many milliseconds. */
export function regularIntervalMs(probeBytes: number, settings: BudgetSettings): number {
  return Math.ceil(probeBytes / (REGULAR_SHARE * budgetRate(settings)));
}

/** How long to wait, from `tokens`, until a check costing `costBytes` is within the budget. */
export function budgetWaitMs(tokens: number, costBytes: number, settings: BudgetSettings): number {
  return tokens >= costBytes ? 0 : Math.ceil((costBytes - tokens) / budgetRate(settings));
}

/** The tokens after a wait of `waitedMs` that ran to its end. */
export function creditWait(tokens: number, waitedMs: number, settings: BudgetSettings): number {
  return Math.min(BURST_BYTES, tokens + waitedMs * budgetRate(settings));
}
