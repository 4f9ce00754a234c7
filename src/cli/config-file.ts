import { readFile } from "node:fs/promises";
import type { Config } from "../config/schema.js";
import { ConfigError, parseConfig } from "../config/validate.js";

/** Reads and validates the JSON configuration file; every problem is a ConfigError naming the file. */
export async function readConfigFile(path: string): Promise<Config> {
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
  return parseConfig(json);
}

/** What `run` and `check` print for a bad file: the file, then one line per bad field. */
export function invalidConfigMessage(path: string, error: ConfigError): string {
  return `statenet: invalid configuration ${path}\n${error.message}\n`;
}
