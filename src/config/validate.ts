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

/** The whole configuration, with defaults filled in; throws ConfigError naming every bad field. */
export function parseConfig(input: unknown): Config {
  const result = configSchema.safeParse(input);
  if (!result.success) throw new ConfigError(problemsOf(result.error, []));
  return result.data;
}

/** One interface's configuration, as given to `configure(ifname, config)`. */
export function parseInterfaceConfig(ifname: string, input: unknown): InterfaceConfig {
  const result = interfaceConfigSchema.safeParse(input);
  if (!result.success) throw new ConfigError(problemsOf(result.error, ["interfaces", ifname]));
  return result.data;
}
