import type { z } from "zod";
import { BUILTIN_TECHNOLOGIES } from "../technologies/builtin.js";
import type { Technology } from "../technologies/technology.js";
import {
  type Config,
  configSchema,
  configSchemaFor,
  type InterfaceConfig,
  interfaceConfigSchema,
  interfaceConfigSchemaFor,
} from "./schema.js";

export interface ConfigProblem {
  /** Dotted path of the offending field, e.g. `interfaces.eth0.ipv4.prefixLength`. */
  path: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map((problem) => `${problem.path}: ${problem.message}`).join("\n"));
    this.name = "ConfigError";
  }
}

function problemsOf(error: z.ZodError, base: readonly string[]): ConfigProblem[] {
  return error.issues.map((issue) => {
    const segments = [...base, ...issue.path.map(String)];
    if (issue.code === "unrecognized_keys") {
      return {
        path: segments.join(".") || "(root)",
        message: `unknown key(s): ${issue.keys.join(", ")}`,
      };
    }
    if (issue.code === "invalid_type" && issue.message.endsWith("received undefined")) {
      return { path: segments.join("."), message: `required (${issue.expected})` };
    }
    if (issue.code === "invalid_key") {
      const reason = issue.issues[0]?.message ?? issue.message;
      return { path: segments.join("."), message: `bad key: ${reason}` };
    }
    return { path: segments.join(".") || "(root)", message: issue.message };
  });
}

/** The records of the file keyed by interface name. */
const INTERFACE_RECORDS = [
  "interfaces",
  "powerManagers",
] as const satisfies readonly (keyof Config)[];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

/**
 * Zod leaves a record's `__proto__` key out of its result without checking
 * it, so an interface by that name would vanish without a word: refused here,
 * as `assertInterfaceName` refuses it everywhere else.
 */
function skippedKeyProblems(input: unknown): ConfigProblem[] {
  if (!isObject(input)) return [];
  return INTERFACE_RECORDS.flatMap((field) => {
    const record = input[field];
    if (!isObject(record) || !Object.hasOwn(record, "__proto__")) return [];
    return [
      { path: `${field}.__proto__`, message: 'bad key: interface name "__proto__" is reserved' },
    ];
  });
}

interface Schemas {
  config: z.ZodType<Config>;
  interface: z.ZodType<InterfaceConfig>;
}

const BUILTIN_SCHEMAS: Schemas = { config: configSchema, interface: interfaceConfigSchema };

/** Built once per list: a manager validates every change with the same one. */
const schemasByList = new WeakMap<readonly Technology[], Schemas>();

/**
 * The schemas of a list of technologies. Their configs are typed as the
 * built-in union: a registered technology's config is one more `type`, and
 * code that reads a config's fields tells it apart by `type` first.
 */
function schemasFor(technologies: readonly Technology[]): Schemas {
  if (technologies === BUILTIN_TECHNOLOGIES) return BUILTIN_SCHEMAS;
  let schemas = schemasByList.get(technologies);
  if (!schemas) {
    schemas = {
      config: configSchemaFor(technologies) as unknown as Schemas["config"],
      interface: interfaceConfigSchemaFor(technologies) as unknown as Schemas["interface"],
    };
    schemasByList.set(technologies, schemas);
  }
  return schemas;
}

/**
 * The whole configuration, with defaults filled in; throws ConfigError
 * naming every bad field. `technologies`: the manager's whole list, built-in
 * ones included (default: the built-in ones).
 */
export function parseConfig(
  input: unknown,
  technologies: readonly Technology[] = BUILTIN_TECHNOLOGIES,
): Config {
  const skipped = skippedKeyProblems(input);
  const result = schemasFor(technologies).config.safeParse(input);
  if (!result.success || skipped.length > 0) {
    throw new ConfigError([...skipped, ...(result.success ? [] : problemsOf(result.error, []))]);
  }
  return result.data;
}

/** One interface's configuration, as given to `configure(ifname, config)`. */
export function parseInterfaceConfig(
  ifname: string,
  input: unknown,
  technologies: readonly Technology[] = BUILTIN_TECHNOLOGIES,
): InterfaceConfig {
  const result = schemasFor(technologies).interface.safeParse(input);
  if (!result.success) throw new ConfigError(problemsOf(result.error, ["interfaces", ifname]));
  return result.data;
}
