import pino, { type Logger } from "pino";

import { MASK, SECRET_FIELDS } from "./secrets.js";

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
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/** A logger that drops everything, for library use without logs and for tests. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
