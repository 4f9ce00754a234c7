import type { Config } from "../config/schema.js";
import { ConfigError, parseConfig } from "../config/validate.js";
import { errorsOf, type Finding, formatFinding } from "../preflight/findings.js";
import { preflight } from "../preflight/preflight.js";
import type { TechnologyPlanner } from "../technologies/technology.js";
import { invalidConfigMessage, loadConfigFile } from "./config-file.js";
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK } from "./exit-codes.js";

export interface CheckOptions {
  /** Without one, the platform is checked against the defaults (no interfaces). */
  configPath?: string | undefined;
  json: boolean;
}

/**
 * `statenet check`: validates the configuration file and the platform
 * without touching anything. Exit 2 for a bad file, 1 when statenet could
 * not work here, 0 otherwise (warnings included).
 */
export async function runCheck(options: CheckOptions): Promise<number> {
  let config: Config;
  let planner: TechnologyPlanner | undefined;
  try {
    if (options.configPath === undefined) config = parseConfig({});
    else ({ config, planner } = await loadConfigFile(options.configPath));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(invalidConfigMessage(options.configPath ?? "(defaults)", error));
    return EXIT_BAD_INPUT;
  }
  const findings: Finding[] = [
    ...(options.configPath === undefined
      ? []
      : [
          {
            level: "ok" as const,
            check: "config" as const,
            message: `${options.configPath} is valid`,
          },
        ]),
    ...(await preflight(config, planner)),
  ];
  process.stdout.write(
    options.json
      ? `${JSON.stringify({ findings })}\n`
      : `${findings.map(formatFinding).join("\n")}\n`,
  );
  return errorsOf(findings).length > 0 ? EXIT_FAILURE : EXIT_OK;
}
