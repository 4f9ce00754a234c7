import { createRequire } from "node:module";
import type pino from "pino";
import type { Logger } from "pino";
import { MASK, SECRET_FIELDS } from "./secrets.js";
import { terminalJson, terminalText } from "./terminal-text.js";

/**
 * pino, required on the first logger rather than imported: a library user who
 * never asks for one, and every CLI client, skip its load (issue 17). It is a
 * CommonJS package, so `require` gives the same module `import` would.
 */
let loadedPino: typeof pino | undefined;
const pinoModule = (): typeof pino =>
  (loadedPino ??= createRequire(import.meta.url)("pino") as typeof pino);

export type { Logger } from "pino";

/** pino's levels, most severe first; `silent` logs nothing. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** JSON lines for machines (the default), or one plain line per entry for a person. */
export const LOG_FORMATS = ["json", "pretty"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export const isLogLevel = (text: string): text is LogLevel =>
  (LOG_LEVELS as readonly string[]).includes(text);
export const isLogFormat = (text: string): text is LogFormat =>
  (LOG_FORMATS as readonly string[]).includes(text);

/**
 * Secrets may sit at any of the first few levels of a logged object: a WiFi
 * passphrase in a logged config is `config.wifi.networks.0.psk`, five down.
 */
const REDACT_DEPTH = 6;
const REDACT_PATHS = SECRET_FIELDS.flatMap((field) =>
  Array.from({ length: REDACT_DEPTH }, (_, depth) => `${"*.".repeat(depth)}${field}`),
);

export interface LoggerOptions {
  /** One of LOG_LEVELS; else STATENET_LOG_LEVEL, else info. */
  level?: string | undefined;
  /** Else STATENET_LOG_FORMAT, else json. */
  format?: LogFormat | undefined;
  /** Where the lines go (stdout by default); pretty ones too. */
  destination?: pino.DestinationStream;
}

/** Structured logs, JSON lines by default, with every secret field masked. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const pino = pinoModule();
  const taps = new Set<(line: LogLine) => void>();
  const settings = {
    name: "statenet",
    level: options.level ?? process.env.STATENET_LOG_LEVEL ?? "info",
    redact: { paths: REDACT_PATHS, censor: MASK },
    // A time a person and `date -d` can read; still sorts as text.
    timestamp: pino.stdTimeFunctions.isoTime,
    hooks: { logMethod: tapHook(taps) },
  };
  const format = options.format ?? process.env.STATENET_LOG_FORMAT ?? "json";
  if (format === "pretty") {
    // pino redacts before a destination sees the line: the pretty one only ever gets masked text.
    return withTaps(pino(settings, prettyDestination(options.destination ?? process.stdout)), taps);
  }
  return withTaps(options.destination ? pino(settings, options.destination) : pino(settings), taps);
}

/** A logger that drops everything, for library use without logs and for tests. */
export function silentLogger(): Logger {
  return pinoModule()({ level: "silent" });
}

const LEVEL_LABELS: Readonly<Record<number, string>> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

/** Fields every entry has that a person at a console needs no repeat of. */
const OMITTED = new Set(["time", "level", "msg", "name", "pid", "hostname"]);

/** A bare word where it reads as one; JSON (quoted, escaped) otherwise. */
function prettyValue(value: unknown): string {
  if (typeof value === "string" && /^[^\s"=\\]+$/u.test(value)) return terminalText(value);
  return terminalJson(value);
}

/**
 * One of pino's JSON entries as a line for a person: time, level, message,
 * then key=value for the rest; an error's stack follows, indented.
 */
export function prettyLogLine(entry: Readonly<Record<string, unknown>>): string {
  const level = LEVEL_LABELS[Number(entry.level)] ?? String(entry.level);
  const parts = [String(entry.time ?? ""), level.padEnd(5), terminalText(String(entry.msg ?? ""))];
  const stacks: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (OMITTED.has(key) || value === undefined) continue;
    const error = value as { message?: unknown; stack?: unknown } | null;
    if (typeof error === "object" && error !== null && typeof error.stack === "string") {
      parts.push(`${key}=${prettyValue(String(error.message ?? ""))}`);
      stacks.push(...error.stack.split("\n").map((line) => `    ${terminalText(line)}`));
    } else {
      parts.push(`${key}=${prettyValue(value)}`);
    }
  }
  return [parts.filter(Boolean).join(" "), ...stacks].join("\n");
}

/** A destination that writes pino's JSON lines to `out` as pretty ones. */
export function prettyDestination(out: pino.DestinationStream): pino.DestinationStream {
  return {
    write(chunk: string) {
      for (const line of chunk.split("\n")) {
        if (line === "") continue;
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          out.write(`${terminalText(line)}\n`);
          continue;
        }
        out.write(`${prettyLogLine(entry)}\n`);
      }
    },
  };
}

/** A warning or error as it was logged, for the visualizer (not yet masked: its sender masks). */
export interface LogLine {
  level: "warn" | "error" | "fatal";
  msg: string;
  /** The logger's bindings (ifname, actor…) and the entry's own fields; errors as their message. */
  fields: Record<string, unknown>;
  at: number;
}

const TAPS = Symbol("statenet.logTaps");
const TAPPED_LEVELS: Readonly<Record<number, LogLine["level"]>> = {
  40: "warn",
  50: "error",
  60: "fatal",
};

/** pino's children inherit from their parent object: a tap set on the root reaches them all. */
function withTaps(logger: Logger, taps: Set<(line: LogLine) => void>): Logger {
  Object.defineProperty(logger, TAPS, { value: taps });
  return logger;
}

const plain = (value: unknown) => (value instanceof Error ? value.message : value);

function tapHook(taps: Set<(line: LogLine) => void>) {
  return function logMethod(
    this: Logger,
    args: Parameters<pino.LogFn>,
    method: pino.LogFn,
    level: number,
  ): void {
    const tapped = TAPPED_LEVELS[level];
    if (tapped && taps.size > 0) {
      const [first, ...rest] = args as unknown[];
      const own = typeof first === "object" && first !== null ? first : undefined;
      const msg = String((own ? rest[0] : first) ?? (own instanceof Error ? own.message : ""));
      const fields: Record<string, unknown> = { ...this.bindings() };
      delete fields.name;
      if (own instanceof Error) fields.err = own.message;
      else if (own) for (const [key, value] of Object.entries(own)) fields[key] = plain(value);
      const line: LogLine = { level: tapped, msg, fields, at: Date.now() };
      for (const tap of taps) tap(line);
    }
    method.apply(this, args);
  };
}

/**
 * Calls `listener` with every warning and error of `logger` (and its
 * children) from now on; returns the way to stop. A logger that
 * createLogger did not make has no tap: nothing is called.
 */
export function tapWarnings(logger: Logger, listener: (line: LogLine) => void): () => void {
  const taps = (logger as unknown as { [TAPS]?: Set<(line: LogLine) => void> })[TAPS];
  taps?.add(listener);
  return () => taps?.delete(listener);
}
