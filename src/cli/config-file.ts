import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Config } from "../config/schema.js";
import { loadTechnologyModules, technologyModuleNames } from "../config/technology-modules.js";
import { ConfigError, parseConfig } from "../config/validate.js";
import { technologyPlanner } from "../technologies/registry.js";
import type { Technology, TechnologyPlanner } from "../technologies/technology.js";

/** A configuration file as the daemon runs it: the file and the technologies it loads. */
export interface LoadedConfigFile {
  config: Config;
  /** Those of the file's `technologies` modules, for `createNetworkManager({ technologies })`. */
  technologies: readonly Technology[];
  /** Plans the file's configurations, of built-in and loaded technologies (for the preflight checks). */
  planner: TechnologyPlanner;
}

/**
 * Reads the JSON configuration file in two steps: first the technology
 * modules it names, then the whole file validated with their schemas too.
 * Every problem is a ConfigError (naming the file or the field).
 */
export async function loadConfigFile(path: string): Promise<LoadedConfigFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new ConfigError([{ path: "(file)", message: `cannot read ${path}: ${code}` }]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([
      { path: "(file)", message: `${path} is not JSON: ${(error as Error).message}` },
    ]);
  }
  const { loaded, all } = await loadTechnologyModules(
    technologyModuleNames(json),
    dirname(resolve(path)),
  );
  return { config: parseConfig(json, all), technologies: loaded, planner: technologyPlanner(all) };
}

/** Reads and validates the JSON configuration file; every problem is a ConfigError naming the file. */
export async function readConfigFile(path: string): Promise<Config> {
  return (await loadConfigFile(path)).config;
}

/** What `run` and `check` print for a bad file: the file, then one line per bad field. */
export function invalidConfigMessage(path: string, error: ConfigError): string {
  return `statenet: invalid configuration ${path}\n${error.message}\n`;
}
