import type { z } from "zod";
import {
  type Config,
  configSchema,
  type InterfaceConfig,
  interfaceConfigSchema,
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

/** The whole configuration, with defaults filled in; throws ConfigError naming every bad field. */
export function parseConfig(input: unknown): Config {
  const skipped = skippedKeyProblems(input);
  const result = configSchema.safeParse(input);
  if (!result.success || skipped.length > 0) {
    throw new ConfigError([...skipped, ...(result.success ? [] : problemsOf(result.error, []))]);
  }
  return result.data;
}

/** One interface's configuration, as given to `configure(ifname, config)`. */
export function parseInterfaceConfig(ifname: string, input: unknown): InterfaceConfig {
  const result = interfaceConfigSchema.safeParse(input);
  if (!result.success) throw new ConfigError(problemsOf(result.error, ["interfaces", ifname]));
  return result.data;
}
