import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BUILTIN_TECHNOLOGIES } from "../technologies/builtin.js";
import {
  assertTechnology,
  InvalidTechnologyError,
  registerTechnologies,
  TechnologyClashError,
} from "../technologies/registry.js";
import type { Technology } from "../technologies/technology.js";
import { ConfigError, type ConfigProblem } from "./validate.js";

/**
 * The configuration file's `technologies`: modules that each export a
 * Technology, as its default export or as `technology`. Names resolve as
 * Node resolves a `require` from a file in the configuration's folder (its
 * node_modules, then its parents'; a relative path from the folder), so a
 * package's `exports` must offer a plain path or a `default` condition.
 */

/** The `technologies` field as written, checked before anything is loaded. */
export function technologyModuleNames(json: unknown): string[] {
  if (typeof json !== "object" || json === null || !("technologies" in json)) return [];
  const { technologies } = json as { technologies: unknown };
  if (!Array.isArray(technologies)) {
    throw new ConfigError([{ path: "technologies", message: "must be a list of module names" }]);
  }
  const problems: ConfigProblem[] = technologies.flatMap((name, index) =>
    typeof name === "string" && name.length > 0
      ? []
      : [{ path: `technologies.${index}`, message: "must name a module" }],
  );
  if (problems.length > 0) throw new ConfigError(problems);
  return technologies as string[];
}

async function loadModule(name: string, fromDir: string, path: string): Promise<unknown> {
  let resolved: string;
  try {
    // A file name in the folder: require resolves from the folder it is in.
    resolved = createRequire(join(fromDir, "statenet.config.json")).resolve(name);
  } catch (error) {
    throw new ConfigError([
      { path, message: `cannot find module "${name}" from ${fromDir}: ${firstLine(error)}` },
    ]);
  }
  let loaded: Record<string, unknown>;
  try {
    loaded = await import(pathToFileURL(resolved).href);
  } catch (error) {
    throw new ConfigError([
      { path, message: `cannot load module "${name}" (${resolved}): ${firstLine(error)}` },
    ]);
  }
  const technology = loaded.technology ?? loaded.default;
  try {
    assertTechnology(technology, "technology");
  } catch (error) {
    if (!(error instanceof InvalidTechnologyError)) throw error;
    const exported = loaded.technology === undefined ? "its default export" : "`technology`";
    throw new ConfigError([
      {
        path,
        message: `module "${name}" exports no technology (${exported}): ${error.message}`,
      },
    ]);
  }
  return technology;
}

const firstLine = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).split("\n")[0];

/** `technologies[2].type` (the registry's name for a field) as a file's path: `technologies.2`. */
const filePath = (field: string) => field.replace(/^technologies\[(\d+)\].*$/, "technologies.$1");

/** The technologies of a file's modules, and the whole list its interfaces are validated with. */
export interface TechnologyModules {
  /** As `createNetworkManager({ technologies })` takes them. */
  loaded: readonly Technology[];
  /** The built-in technologies, then the loaded ones. */
  all: readonly Technology[];
}

/**
 * Loads the named modules and registers them after the built-in
 * technologies; a module that cannot be found or loaded, exports no
 * technology, or claims a taken type is a ConfigError naming its entry.
 */
export async function loadTechnologyModules(
  names: readonly string[],
  fromDir: string,
): Promise<TechnologyModules> {
  const loaded: unknown[] = [];
  for (const [index, name] of names.entries()) {
    loaded.push(await loadModule(name, fromDir, `technologies.${index}`));
  }
  try {
    const all = registerTechnologies(BUILTIN_TECHNOLOGIES, loaded);
    return { loaded: all.slice(BUILTIN_TECHNOLOGIES.length), all };
  } catch (error) {
    if (!(error instanceof TechnologyClashError)) throw error;
    throw new ConfigError([{ path: filePath(error.field), message: error.reason }]);
  }
}
