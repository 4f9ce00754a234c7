import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/**
 * The configuration's field docs have one source: the JSDoc on the zod
 * schemas' fields. Editors show it in this repository, but tsc drops it from
 * the declarations of inferred types, so neither a package's users nor the
 * JSON Schema would see it. This reads the input type of `configSchema` with
 * the type checker (where the JSDoc is) and writes it out as interfaces
 * (their .d.ts keep it) and as descriptions by path, which configJsonSchema()
 * puts into the JSON Schema.
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const GENERATED_PATH = "src/config/config-input.generated.ts";

/** A union member's name in a description path: its first literal field, `[type=wifi]`. */
function memberKey(checker: ts.TypeChecker, type: ts.Type): string {
  for (const property of checker.getPropertiesOfType(type)) {
    const value = checker.getNonNullableType(checker.getTypeOfSymbol(property));
    if (value.isStringLiteral()) return `[${property.name}=${value.value}]`;
  }
  return "";
}

const isObjectLike = (checker: ts.TypeChecker, type: ts.Type) =>
  (type.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection)) !== 0 &&
  !checker.isArrayType(type) &&
  !checker.isTupleType(type) &&
  type.getCallSignatures().length === 0;

const readonly = (property: ts.Symbol) =>
  property.declarations?.some(
    (declaration) => ts.getCombinedModifierFlags(declaration) & ts.ModifierFlags.Readonly,
  )
    ? "readonly "
    : "";

const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

function docComment(text: string, indent: string): string {
  if (text === "") return "";
  const lines = text.split("\n");
  if (lines.length === 1) return `${indent}/** ${text} */\n`;
  return `${indent}/**\n${lines.map((line) => `${indent} *${line ? ` ${line}` : ""}`).join("\n")}\n${indent} */\n`;
}

const identifier = (name: string) =>
  /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);

/** Reads configSchema's input type; the module that holds its interfaces and descriptions. */
export function generateConfigDocs(): string {
  const schemaFile = `${ROOT}src/config/schema.ts`;
  const { config } = ts.readConfigFile(`${ROOT}tsconfig.json`, ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
  const program = ts.createProgram([schemaFile], { ...options, noEmit: true });
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(schemaFile);
  const module = file && checker.getSymbolAtLocation(file);
  const configSchema = module && checker.tryGetMemberInModuleExports("configSchema", module);
  if (!configSchema) throw new Error(`no configSchema in ${schemaFile}`);
  const propertyType = (type: ts.Type | undefined, name: string) => {
    const property = type && checker.getPropertyOfType(type, name);
    return property && checker.getTypeOfSymbol(property);
  };
  // What z.input<typeof configSchema> reads.
  const input = propertyType(propertyType(checker.getTypeOfSymbol(configSchema), "_zod"), "input");
  if (!input) throw new Error("configSchema has no input type");

  const descriptions: Record<string, string> = {};
  /** Interfaces named after their technology, printed after ConfigInput. */
  const named: string[] = [];

  const printUnion = (members: readonly ts.Type[], path: string, indent: string): string => {
    // A boolean is true | false to the checker.
    const booleans = members.filter((member) => member.flags & ts.TypeFlags.BooleanLiteral);
    const others = members.filter((member) => !(member.flags & ts.TypeFlags.BooleanLiteral));
    const printed = others.map((member) =>
      isObjectLike(checker, member)
        ? print(member, `${path}${memberKey(checker, member)}`, indent)
        : print(member, path, indent),
    );
    if (booleans.length === 2) printed.push("boolean");
    else printed.push(...booleans.map((member) => checker.typeToString(member)));
    return printed.join(" | ");
  };

  const print = (type: ts.Type, path: string, indent: string): string => {
    if (type.isUnion()) return printUnion(type.types, path, indent);
    if (type.isIntersection()) {
      // As an intersection, not merged: tsc compares it with the schema's as one.
      return type.types.map((part) => `(${print(part, path, indent)})`).join(" & ");
    }
    if (checker.isArrayType(type)) {
      const [element] = checker.getTypeArguments(type as ts.TypeReference);
      if (!element) throw new Error(`${path}: an array without an element type`);
      const inner = print(element, `${path}[]`, indent);
      const readonlyArray = type.symbol?.name === "ReadonlyArray";
      return `${readonlyArray ? "readonly " : ""}Array<${inner}>`;
    }
    if (!isObjectLike(checker, type)) {
      return checker.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation);
    }
    const inner = `${indent}  `;
    let body = "";
    for (const property of checker.getPropertiesOfType(type)) {
      const fieldPath = path === "" ? property.name : `${path}.${property.name}`;
      const doc = ts.displayPartsToString(property.getDocumentationComment(checker)).trim();
      if (doc !== "") descriptions[fieldPath] = doc;
      const optional = (property.flags & ts.SymbolFlags.Optional) !== 0;
      let value = checker.getTypeOfSymbol(property);
      if (optional && value.isUnion()) {
        const defined = value.types.filter((member) => !(member.flags & ts.TypeFlags.Undefined));
        value = defined.length === 1 && defined[0] ? defined[0] : value;
        if (defined.length > 1) {
          // Keep the union without undefined: print its members.
          body += docComment(doc, inner);
          body += `${inner}${readonly(property)}${identifier(property.name)}?: ${printUnion(defined, fieldPath, inner)};\n`;
          continue;
        }
      }
      body += docComment(doc, inner);
      body += `${inner}${readonly(property)}${identifier(property.name)}${optional ? "?" : ""}: ${print(value, fieldPath, inner)};\n`;
    }
    for (const index of checker.getIndexInfosOfType(type)) {
      const key = checker.typeToString(index.keyType);
      const value = print(index.type, `${path}.*`, inner);
      body += `${inner}${index.isReadonly ? "readonly " : ""}[key: ${key}]: ${value};\n`;
    }
    return `{\n${body}${indent}}`;
  };

  // ConfigInput, with each technology's config as a named interface.
  let configBody = "";
  for (const property of checker.getPropertiesOfType(input)) {
    const doc = ts.displayPartsToString(property.getDocumentationComment(checker)).trim();
    if (doc !== "") descriptions[property.name] = doc;
    configBody += docComment(doc, "  ");
    const optional = (property.flags & ts.SymbolFlags.Optional) !== 0 ? "?" : "";
    const value = checker.getNonNullableType(checker.getTypeOfSymbol(property));
    if (property.name === "interfaces") {
      const [index] = checker.getIndexInfosOfType(value);
      if (!index?.type.isUnion()) throw new Error("interfaces: not a record of a union");
      const names = index.type.types.map((member) => {
        const type = memberKey(checker, member).match(/^\[type=(.+)\]$/)?.[1];
        if (!type) throw new Error("interfaces: a member without a literal type");
        const name = `${pascal(type)}ConfigInput`;
        const text = print(member, `interfaces.*${memberKey(checker, member)}`, "");
        named.push(
          `/** The configuration of a \`${type}\` interface, as written (configure() takes it). */\nexport interface ${name} ${text}\n`,
        );
        return name;
      });
      named.unshift(
        `/** One interface's configuration as written: configure(ifname, config) takes it. */\nexport type InterfaceConfigInput =\n${names.map((name) => `  | ${name}`).join("\n")};\n`,
      );
      configBody += `  interfaces${optional}: { [ifname: string]: InterfaceConfigInput };\n`;
      continue;
    }
    configBody += `  ${identifier(property.name)}${optional}: ${print(value, property.name, "  ")};\n`;
  }

  const sortedDescriptions = Object.fromEntries(
    Object.entries(descriptions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  const source = `// Generated by \`npm run schema\` (scripts/config-docs.ts) from the JSDoc of the
// config schemas' fields: edit those, not this file.
import type { z } from "zod";
import type { configSchema } from "./schema.js";

/** The configuration file as written: defaults may be left out. */
export interface ConfigInput {
${configBody}}

${named.join("\n")}
/** Identical, not only assignable both ways (which a missing optional field would pass). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** tsc checks that these interfaces are the schema's input type. */
export type ConfigInputMatchesSchema = true extends Same<ConfigInput, z.input<typeof configSchema>>
  ? true
  : never;
const matches: ConfigInputMatchesSchema = true;
void matches;

/** Each field's description for the JSON Schema, by path (\`.*\` a record's value, \`[]\` a list's item, \`[type=wifi]\` a union's member). */
export const CONFIG_DESCRIPTIONS: Readonly<Record<string, string>> = ${JSON.stringify(sortedDescriptions, null, 2)};
`;
  return format(source);
}

/** Biome's formatting, so that the file is the same however it is written. */
function format(source: string): string {
  const result = spawnSync(
    `${ROOT}node_modules/.bin/biome`,
    ["format", `--stdin-file-path=${GENERATED_PATH}`],
    { cwd: ROOT, input: source, encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`biome format failed: ${result.stderr}`);
  return result.stdout;
}
