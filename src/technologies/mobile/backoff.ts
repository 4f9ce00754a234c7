/**
 * How long to wait before connect attempt `failures + 1`: doubling from the
 * first delay up to the cap, so a modem that is not registered yet is asked
 * again soon, and one that keeps refusing is not hammered.
 */
export function connectRetryDelay(failures: number, firstMs: number, maxMs: number): number {
  if (failures < 1) return 0;
  // 2^30 already exceeds any cap in milliseconds (one day); beyond it only overflows.
  const factor = 2 ** Math.min(failures - 1, 30);
  return Math.min(firstMs * factor, maxMs);
}
