/**
 * Connectivity timings for lab tests: a check every second and recovery
 * checks a third of a second apart, so failover and recovery happen within a
 * test's seconds. The defaults are measured by `npm run bench`.
 */
export const FAST_CHECKS: Readonly<
  Record<"intervalMs" | "timeoutMs" | "lanIntervalMs" | "recoveryIntervalMs", number>
> = Object.freeze({
  intervalMs: 1_000,
  timeoutMs: 500,
  lanIntervalMs: 500,
  recoveryIntervalMs: 300,
});
