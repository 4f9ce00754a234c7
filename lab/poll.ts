/**
 * Polls `check` until it returns something other than undefined or false;
 * fails naming `what` after `timeoutMs`. The VM lab's timeouts are generous:
 * under TCG everything runs 15 to 20 times slower than on the host.
 */
export async function pollUntil<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number; gone?: () => string | undefined } = {},
): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 50, gone } = options;
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    // A process that died will never get there: fail now, with its reason.
    const reason = gone?.();
    if (reason !== undefined) throw new Error(`${what}: ${reason}`, { cause: lastError });
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
