import { z } from "zod";
import { configSchema } from "./schema.js";

/** JSON Schema of the configuration file, for editors (checks written in code are not in it). */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" }),
    title: "statenet configuration",
  };
}
