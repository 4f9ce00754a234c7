import { z } from "zod";
import { count, milliseconds } from "./fields.js";

/** Overrides of the connectivity checker's timings (see DEFAULT_CONNECTIVITY). */
export const connectivitySchema = z
  .strictObject({
    /** The shortest wait between checks at `internet`; the byte budget may stretch it. */
    intervalMs: milliseconds(100).optional(),
    /** The longest a probe waits for an answer (and its wait until the link's round trip is known). */
    timeoutMs: milliseconds(50).optional(),
    /** The shortest a probe waits, however quick the link's round trip. */
    minTimeoutMs: milliseconds(10).optional(),
    lanIntervalMs: milliseconds(100).optional(),
    /** Ceiling of the backoff while only the LAN answers; lanIntervalMs turns the backoff off. */
    lanBackoffMaxMs: milliseconds(100).optional(),
    recoveryIntervalMs: milliseconds(100).optional(),
    recoveryChecks: count(100).optional(),
    confirmProbes: count(10).optional(),
    /** Rounds of confirming probes, each waiting twice as long as the last. */
    confirmRounds: count(5).optional(),
    /** Bytes on the wire (Ethernet frames) the probes may spend in any 24 hours. */
    maxBytesPerDay: z
      .number()
      .int("must be an integer number of bytes")
      .min(10_000, "must be at least 10000 bytes")
      .optional(),
    holdDownBaseMs: milliseconds(0).optional(),
    holdDownMaxMs: milliseconds(0).optional(),
    dampingResetMs: milliseconds(0).optional(),
  })
  .check((context) => {
    const {
      holdDownBaseMs,
      holdDownMaxMs,
      lanIntervalMs,
      lanBackoffMaxMs,
      timeoutMs,
      minTimeoutMs,
    } = context.value;
    const ceilings = [
      ["holdDownMaxMs", holdDownMaxMs, "holdDownBaseMs", holdDownBaseMs],
      ["lanBackoffMaxMs", lanBackoffMaxMs, "lanIntervalMs", lanIntervalMs],
      ["timeoutMs", timeoutMs, "minTimeoutMs", minTimeoutMs],
    ] as const;
    for (const [name, ceiling, baseName, base] of ceilings) {
      if (ceiling !== undefined && base !== undefined && ceiling < base) {
        context.issues.push({
          code: "custom",
          input: ceiling,
          path: [name],
          message: `must not be less than ${baseName}`,
        });
      }
    }
  });

export type ConnectivityConfig = z.infer<typeof connectivitySchema>;
