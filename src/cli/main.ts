import { readFileSync } from "node:fs";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { isLogFormat, isLogLevel, LOG_FORMATS, LOG_LEVELS, type LogFormat } from "../log.js";
import { terminalJson } from "../terminal-text.js";
import {
  type CliCommand,
  type CliOption,
  COMMANDS,
  commandHelp,
  commandNamed,
  DEFAULT_RELAY_PORT,
  groupHelp,
  HELP_OPTION,
  topLevelHelp,
} from "./command-table.js";
import { EXIT_BAD_INPUT, EXIT_OK } from "./exit-codes.js";

/** A command line that is not one: one line says what, the next where the help is. */
class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose `--help` to point at; the top level's without one. */
    readonly command?: string,
  ) {
    super(message);
  }
}

/**
 * What a daemon command's command line may hold: every daemon command's
 * options, as before the table; the client says which command an option
 * belongs to (`--timestamp is an option of get only`).
 */
const ALL_DAEMON_OPTIONS: readonly CliOption[] = [
  ...new Map(
    COMMANDS.filter(({ daemon }) => daemon)
      .flatMap(({ options }) => options)
      .map((option) => [option.long, option]),
  ).values(),
];

function version(): string {
  const url = new URL("../../package.json", import.meta.url);
  for (const candidate of [url, new URL("../../../package.json", import.meta.url)]) {
    try {
      return (JSON.parse(readFileSync(candidate, "utf8")) as { version: string }).version;
    } catch {
      // Source and build trees sit at different depths.
    }
  }
  return "unknown";
}

type Values = Record<string, string | boolean | undefined>;

interface Parsed {
  values: Values;
  positionals: string[];
}

/**
 * The command line of `command` by its options in the table (or `options`),
 * or undefined when it asks for the help, which is then printed.
 */
function parseCommand(
  command: CliCommand,
  args: readonly string[],
  options: readonly CliOption[] = command.options,
): Parsed | undefined {
  const end = args.indexOf("--");
  if ((end === -1 ? args : args.slice(0, end)).some((arg) => arg === "--help" || arg === "-h")) {
    process.stdout.write(commandHelp(command));
    return undefined;
  }
  // `--inspect` alone means its default; parseArgs wants a value for a string option.
  const spelled = args.map((arg, index) => {
    const option = options.find(({ long }) => arg === `--${long}`);
    return (end === -1 || index < end) && option?.valueWhenAbsent !== undefined
      ? `${arg}=${option.valueWhenAbsent}`
      : arg;
  });
  const config: ParseArgsConfig["options"] = {};
  for (const option of [...options, HELP_OPTION]) {
    config[option.long] = {
      type: option.value === undefined ? "boolean" : "string",
      ...(option.short ? { short: option.short } : {}),
    };
  }
  let parsed: Parsed;
  try {
    parsed = parseArgs({
      args: spelled,
      options: config,
      allowPositionals: command.args !== undefined || command.daemon,
      strict: true,
    }) as Parsed;
  } catch (error) {
    throw new UsageError(parseArgsMessage(error as Error), command.name);
  }
  for (const option of options) {
    const value = parsed.values[option.long];
    if (option.required && value === undefined) {
      throw new UsageError(`${command.name} needs --${option.long} ${option.value}`, command.name);
    }
    if (option.choices && typeof value === "string" && !option.choices.includes(value)) {
      throw new UsageError(
        `--${option.long} ${value}: not one of ${option.choices.join(", ")}`,
        command.name,
      );
    }
  }
  return parsed;
}

/** parseArgs' words, shorter: its advice on `--` is for scripts, not for these commands. */
function parseArgsMessage(error: Error): string {
  return error.message.split(/\.\s/)[0]?.replace(/\.$/, "") ?? error.message;
}

const string = (value: string | boolean | undefined) =>
  typeof value === "string" ? value : undefined;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help") {
    process.stdout.write(topLevelHelp(version()));
    return command === undefined ? EXIT_BAD_INPUT : EXIT_OK;
  }
  if (command === "help") return helpCommand(rest);
  if (command === "-v" || command === "--version") {
    process.stdout.write(`${version()}\n`);
    return EXIT_OK;
  }
  const daemonCommand = commandNamed(command);
  if (daemonCommand?.daemon) return controlCommand(daemonCommand, rest);
  if (command === "wifi") return wifiCommand(rest);
  if (command === "check") return checkCommand(rest);
  if (command === "inspect" || command === "visualize") return relayCommand(command, rest);
  if (command === "run") return runCommand(rest);
  throw new UsageError(`unknown command "${command}"`);
}

function helpCommand(rest: readonly string[]): number {
  const name = rest.join(" ");
  const command = commandNamed(name);
  if (command) process.stdout.write(commandHelp(command));
  else if (COMMANDS.some((listed) => listed.name.startsWith(`${name} `))) {
    process.stdout.write(groupHelp(name));
  } else if (name === "") process.stdout.write(topLevelHelp(version()));
  else throw new UsageError(`unknown command "${name}"`);
  return EXIT_OK;
}

function portOf(text: string, command: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError("a port must be 0..65535", command);
  return port;
}

/** A value from the environment, as strict as the option it stands in for. */
function fromEnvironment(
  name: string,
  valid: (text: string) => boolean,
  choices: readonly string[],
): string | undefined {
  const value = process.env[name];
  if (value === undefined || value === "" || valid(value)) return value || undefined;
  throw new UsageError(`${name}=${value}: not one of ${choices.join(", ")}`, "run");
}

function runCommand(rest: readonly string[]): Promise<number> {
  const parsed = parseCommand(commandNamed("run") as CliCommand, rest);
  if (!parsed) return Promise.resolve(EXIT_OK);
  const { values } = parsed;
  const inspect = string(values.inspect);
  if (inspect !== undefined && !/^wss?:\/\/[^\s]+$/.test(inspect)) {
    throw new UsageError("--inspect needs a ws:// URL", "run");
  }
  if (inspect !== undefined && values.visualize !== undefined) {
    throw new UsageError("give --inspect or --visualize, not both", "run");
  }
  const visualize = string(values.visualize);
  const visualizePort = visualize === undefined ? undefined : portOf(visualize, "run");
  // Checked here, not by pino: a bad level is a bad command line, not a crash.
  const logLevel =
    string(values["log-level"]) ?? fromEnvironment("STATENET_LOG_LEVEL", isLogLevel, LOG_LEVELS);
  const logFormat =
    string(values["log-format"]) ??
    fromEnvironment("STATENET_LOG_FORMAT", isLogFormat, LOG_FORMATS);
  const configPath = string(values.config) as string;
  // Loaded only for the command that needs it: `--version` and `--help` start at once.
  return import("./run.js").then(({ runDaemon }) =>
    runDaemon({
      configPath,
      logLevel,
      logFormat: logFormat as LogFormat | undefined,
      inspect,
      visualizePort,
    }),
  );
}

function relayCommand(name: "inspect" | "visualize", rest: readonly string[]): Promise<number> {
  const command = commandNamed(name) as CliCommand;
  const parsed = parseCommand(command, rest);
  if (!parsed) return Promise.resolve(EXIT_OK);
  const port = string(parsed.values.port);
  const show = name === "inspect" ? "stately" : "visualizer";
  return import("./relay.js").then(({ runRelay }) =>
    runRelay(port === undefined ? DEFAULT_RELAY_PORT : portOf(port, name), show),
  );
}

function checkCommand(rest: readonly string[]): Promise<number> {
  const parsed = parseCommand(commandNamed("check") as CliCommand, rest);
  if (!parsed) return Promise.resolve(EXIT_OK);
  return import("./check.js").then(({ runCheck }) =>
    runCheck({ configPath: string(parsed.values.config), json: parsed.values.json === true }),
  );
}

function controlCommand(command: CliCommand, rest: readonly string[]): Promise<number> {
  const parsed = parseCommand(command, rest, ALL_DAEMON_OPTIONS);
  if (!parsed) return Promise.resolve(EXIT_OK);
  const { values, positionals } = parsed;
  if (values.config && values.socket) {
    throw new UsageError("give --config or --socket, not both", command.name);
  }
  return import("./control-commands.js").then(({ runControlCommand }) =>
    runControlCommand({
      command: command.name,
      args: positionals,
      configPath: string(values.config),
      socketPath: string(values.socket),
      json: values.json === true,
      showSecrets: values["show-secrets"] === true ? true : undefined,
      withTimestamp: values.timestamp === true ? true : undefined,
    }),
  );
}

function wifiCommand(rest: readonly string[]): Promise<number> {
  const [name, ...args] = rest;
  if (name === "--help" || name === "-h") {
    process.stdout.write(groupHelp("wifi"));
    return Promise.resolve(EXIT_OK);
  }
  const command = name === undefined ? undefined : commandNamed(`wifi ${name}`);
  if (!command) {
    throw new UsageError(
      name === undefined ? "wifi needs a command: scan" : `unknown wifi command "${name}"`,
      "wifi",
    );
  }
  return controlCommand(command, args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      const help =
        error.command === undefined ? "statenet --help" : `statenet ${error.command} --help`;
      // A script that asked for JSON reads one stream, in the shape of every other failure.
      if (process.argv.includes("--json")) {
        const failure = { ok: false, error: { code: "bad_usage", message: error.message } };
        process.stdout.write(`${terminalJson(failure)}\n`);
      } else {
        process.stderr.write(`statenet: ${error.message}\nTry '${help}'.\n`);
      }
      process.exitCode = EXIT_BAD_INPUT;
      return;
    }
    process.stderr.write(`statenet: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
