/** Median and p99 of a list of milliseconds, rounded to microseconds. */
export function summarize(samples: readonly number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (fraction: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return {
    runs: sorted.length,
    median_ms: round(at(0.5)),
    p99_ms: round(at(0.99)),
    max_ms: round(sorted.at(-1) ?? Number.NaN),
  };
}

const seconds = (ms: number) => Math.round(ms) / 1000;

/** `summarize` for figures of seconds: milliseconds in, seconds to the millisecond out. */
export function summarizeSeconds(samples: readonly number[]) {
  const { runs, median_ms, p99_ms, max_ms } = summarize(samples);
  return { runs, median_s: seconds(median_ms), p99_s: seconds(p99_ms), max_s: seconds(max_ms) };
}

export function report(name: string, figures: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ bench: name, ...figures })}\n`);
}

/**
 * Awaits every task, even after one failed (each tears its own lab down),
 * then fails with the first failure.
 */
export async function settleAll(tasks: ReadonlyArray<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
}

/**
 * `count` runs of `run`, at most `concurrency` at a time; results in the
 * order they finished. After a failure no further run starts.
 */
export async function runPooled<T>(
  count: number,
  concurrency: number,
  run: () => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  let started = 0;
  let failed = false;
  const worker = async () => {
    while (started < count && !failed) {
      started += 1;
      try {
        results.push(await run());
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await settleAll(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}
