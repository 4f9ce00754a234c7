import { z } from "zod";
import { BUILTIN_TECHNOLOGIES } from "../technologies/builtin.js";
import type { Technology } from "../technologies/technology.js";
import { CONFIG_DESCRIPTIONS } from "./config-input.generated.js";
import { configSchemaFor } from "./schema.js";

/**
 * JSON Schema of the configuration file, for editors (checks written in
 * code are not in it); with registered technologies, their configs too.
 * Fields carry their JSDoc as descriptions (a technology's own schema may
 * give its fields descriptions with zod's `.describe()`).
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
  addDescriptions(schema, CONFIG_DESCRIPTIONS);
  return { ...schema, title: "statenet configuration" };
}

interface SchemaNode {
  description?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode | boolean;
  additionalProperties?: SchemaNode | boolean;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  const?: unknown;
}

/** A union member's name in a description path, as scripts/config-docs.ts makes it: `[type=wifi]`. */
function memberKey(member: SchemaNode): string {
  for (const [name, field] of Object.entries(member.properties ?? {})) {
    if (typeof field.const === "string") return `[${name}=${field.const}]`;
  }
  return "";
}

/**
 * Puts each path's description on its field (one zod already has, from
 * `.describe()`, stays); returns the paths that named no field.
 */
export function addDescriptions(
  schema: object,
  descriptions: Readonly<Record<string, string>>,
): string[] {
  const unused = new Set(Object.keys(descriptions));
  const visit = (node: SchemaNode, path: string) => {
    for (const [name, field] of Object.entries(node.properties ?? {})) {
      const fieldPath = path === "" ? name : `${path}.${name}`;
      const description = descriptions[fieldPath];
      if (description !== undefined) {
        unused.delete(fieldPath);
        field.description ??= description;
      }
      visit(field, fieldPath);
    }
    if (typeof node.items === "object") visit(node.items, `${path}[]`);
    if (typeof node.additionalProperties === "object")
      visit(node.additionalProperties, `${path}.*`);
    for (const member of [...(node.anyOf ?? []), ...(node.oneOf ?? [])]) {
      visit(member, `${path}${memberKey(member)}`);
    }
  };
  visit(schema as SchemaNode, "");
  return [...unused];
}
