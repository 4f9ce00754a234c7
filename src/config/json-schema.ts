import { z } from "zod";
import { BUILTIN_TECHNOLOGIES } from "../technologies/builtin.js";
import type { Technology } from "../technologies/technology.js";
import { configSchemaFor } from "./schema.js";

/**
 * JSON Schema of the configuration file, for editors (checks written in
 * code are not in it); with registered technologies, their configs too.
 */
export function configJsonSchema(
  technologies: readonly Technology[] = BUILTIN_TECHNOLOGIES,
): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchemaFor(technologies), {
    io: "input",
    unrepresentable: "any",
  });
  // zod leaves out the default of a record whose values transform (interface
  // configs normalize a netmask): an editor should still know `{}` is it.
  const interfaces = (schema.properties as Record<string, Record<string, unknown>> | undefined)
    ?.interfaces;
  if (interfaces && !("default" in interfaces)) interfaces.default = {};
  return { ...schema, title: "statenet configuration" };
}
