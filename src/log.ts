import { createRequire } from "node:module";
import type pino from "pino";
import type { Logger } from "pino";
import { MASK, SECRET_FIELDS } from "./secrets.js";

/**
 * pino, required on the first logger rather than imported: a library user who
 * never asks for one, and every CLI client, skip its load (issue 17). It is a
 * CommonJS package, so `require` gives the same module `import` would.
 */
let loadedPino: typeof pino | undefined;
const pinoModule = (): typeof pino =>
  (loadedPino ??= createRequire(import.meta.url)("pino") as typeof pino);

export type { Logger } from "pino";

/**
 * Secrets may sit at any of the first few levels of a logged object: a WiFi
 * passphrase in a logged config is `config.wifi.networks.0.psk`, five down.
 */
const REDACT_DEPTH = 6;
const REDACT_PATHS = SECRET_FIELDS.flatMap((field) =>
  Array.from({ length: REDACT_DEPTH }, (_, depth) => `${"*.".repeat(depth)}${field}`),
);

export interface LoggerOptions {
  level?: string;
  destination?: pino.DestinationStream;
}

/** Structured JSON logs with every secret field masked. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    name: "statenet",
    level: options.level ?? process.env.STATENET_LOG_LEVEL ?? "info",
    redact: { paths: REDACT_PATHS, censor: MASK },
  };
  const pino = pinoModule();
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/** A logger that drops everything, for library use without logs and for tests. */
export function silentLogger(): Logger {
  return pinoModule()({ level: "silent" });
}
