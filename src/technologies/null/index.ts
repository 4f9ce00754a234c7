import { z } from "zod";
import type { Technology } from "../technology.js";

export const nullConfigSchema = z.strictObject({ type: z.literal("null") });

export type NullConfig = z.infer<typeof nullConfigSchema>;

/**
 * An interface statenet lists but leaves alone, so that something else may
 * manage it: no commands, no files, no daemons, and (a plan that does
 * nothing, see `leavesInterfaceAlone`) no routes. What an earlier config of
 * statenet's set up still goes with that config's down steps, as in
 * VintageNet. A power manager registered for the interface powers its
 * device off, as VintageNet's does for a Null config: registering one asks
 * statenet to decide the device's power, and without a config it is off.
 */
export const nullTechnology: Technology<typeof nullConfigSchema> = {
  type: "null",
  schema: nullConfigSchema,
  plan: () => ({
    up: [],
    down: [],
    files: [],
    daemons: [],
    reaches: "lan",
    routeClass: "unknown",
    deviceOff: true,
  }),
  daemons: {},
};
