import { z } from "zod";
import { count, milliseconds } from "./fields.js";

/** Overrides of the connectivity checker's timings (see DEFAULT_CONNECTIVITY). */
export const connectivitySchema = z
  .strictObject({
    intervalMs: milliseconds(100).optional(),
    timeoutMs: milliseconds(50).optional(),
    lanIntervalMs: milliseconds(100).optional(),
    /** Ceiling of the backoff while only the LAN answers; lanIntervalMs turns the backoff off. */
    lanBackoffMaxMs: milliseconds(100).optional(),
    recoveryIntervalMs: milliseconds(100).optional(),
    recoveryChecks: count(100).optional(),
    confirmProbes: count(10).optional(),
    holdDownBaseMs: milliseconds(0).optional(),
    holdDownMaxMs: milliseconds(0).optional(),
    dampingResetMs: milliseconds(0).optional(),
  })
  .check((context) => {
    const { holdDownBaseMs, holdDownMaxMs, lanIntervalMs, lanBackoffMaxMs } = context.value;
    const ceilings = [
      ["holdDownMaxMs", holdDownMaxMs, "holdDownBaseMs", holdDownBaseMs],
      ["lanBackoffMaxMs", lanBackoffMaxMs, "lanIntervalMs", lanIntervalMs],
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
