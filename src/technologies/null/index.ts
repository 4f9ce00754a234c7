import { z } from "zod";
import { linkDownCommands } from "../ip-link.js";
import type { Technology } from "../technology.js";

export const nullConfigSchema = z.strictObject({ type: z.literal("null") });

export type NullConfig = z.infer<typeof nullConfigSchema>;

/** An interface statenet keeps down: no addresses, nothing running. */
export const nullTechnology: Technology<typeof nullConfigSchema> = {
  type: "null",
  schema: nullConfigSchema,
  plan: (ifname) => ({
    up: linkDownCommands(ifname),
    down: [],
    files: [],
    daemons: [],
    reaches: "lan",
    routeClass: "unknown",
    deviceOff: true,
  }),
  daemons: {},
};
