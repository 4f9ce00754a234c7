import { z } from "zod";
import { count, milliseconds } from "./fields.js";

/** Overrides of the connectivity checker's timings (see DEFAULT_CONNECTIVITY). */
export const connectivitySchema = z
  .strictObject({
    intervalMs: milliseconds(100).optional(),
    timeoutMs: milliseconds(50).optional(),
    lanIntervalMs: milliseconds(100).optional(),
    recoveryIntervalMs: milliseconds(100).optional(),
    recoveryChecks: count(100).optional(),
    confirmProbes: count(10).optional(),
    holdDownBaseMs: milliseconds(0).optional(),
    holdDownMaxMs: milliseconds(0).optional(),
    dampingResetMs: milliseconds(0).optional(),
  })
  .check((context) => {
    const { holdDownBaseMs, holdDownMaxMs } = context.value;
    if (
      holdDownBaseMs !== undefined &&
      holdDownMaxMs !== undefined &&
      holdDownMaxMs < holdDownBaseMs
    ) {
      context.issues.push({
        code: "custom",
        input: holdDownMaxMs,
        path: ["holdDownMaxMs"],
        message: "must not be less than holdDownBaseMs",
      });
    }
  });

export type ConnectivityConfig = z.infer<typeof connectivitySchema>;
