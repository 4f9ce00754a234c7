import { readFileSync } from "node:fs";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { CONTROL_COMMANDS } from "../control/protocol.js";
import { EXIT_BAD_INPUT, EXIT_OK } from "./exit-codes.js";

type ParsedResults<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

const DEFAULT_RELAY_PORT = 8080;
const DEFAULT_RELAY_URL = `ws://127.0.0.1:${DEFAULT_RELAY_PORT}`;

const USAGE = `Usage: statenet <command> [options]

Commands:
  run --config FILE [--log-level LEVEL] [--inspect[=URL] | --visualize[=PORT]]
                                          run the network manager in the foreground;
                                          --inspect sends its statecharts to a relay
                                          (default ${DEFAULT_RELAY_URL}); --visualize
                                          serves the visualizer itself on 127.0.0.1
  check [--config FILE] [--json]          check the file and this machine
                                          (touches nothing); exit 1 if statenet
                                          cannot work here
  inspect [--port N]                      run the inspection relay on 127.0.0.1
                                          (default port ${DEFAULT_RELAY_PORT}) for Stately's inspector
  visualize [--port N]                    the same relay, showing the offline visualizer

Commands that ask the running daemon ([--config FILE | --socket PATH] [--json]):
  info [--show-secrets]                   every interface: type, state, connection,
                                          addresses, config (secrets masked unless
                                          --show-secrets: root only), power
  get KEY [--timestamp]                   one property, e.g. interface/eth0/state
                                          (--timestamp: and how long ago it was set)
  subscribe [PREFIX]                      property changes until Ctrl-C
  configure IFNAME JSON|@FILE             apply and save a configuration
  deconfigure IFNAME                      stop managing it (saved)
  reset IFNAME                            back to the configuration file's one
  force-reset IFNAME                      power-cycle the interface's device now
  reload                                  re-read the daemon's configuration file
                                          (as SIGHUP does); says what changed
  wifi scan IFNAME                        the access points IFNAME's WiFi hears,
                                          strongest first (waits for the scan, up
                                          to 30 s); exit 2 if IFNAME runs no WiFi

Options:
  -h, --help       show this help
  -v, --version    show the version
`;

class UsageError extends Error {}

/**
 * The protocol's commands the CLI spells as one word, with dashes
 * (force-reset for force_reset); `wifi_<name>` ones are `wifi <name>`.
 */
const ONE_WORD_COMMANDS: readonly string[] = CONTROL_COMMANDS.filter(
  (name) => !name.startsWith("wifi_"),
);

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

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    process.stdout.write(USAGE);
    return command === undefined ? EXIT_BAD_INPUT : EXIT_OK;
  }
  if (command === "-v" || command === "--version") {
    process.stdout.write(`${version()}\n`);
    return EXIT_OK;
  }
  if (ONE_WORD_COMMANDS.includes(command.replaceAll("-", "_"))) {
    return controlCommand(command, rest);
  }
  if (command === "wifi") return wifiCommand(rest);
  if (command === "check") return checkCommand(rest);
  if (command === "inspect") return relayCommand(rest, "stately");
  if (command === "visualize") return relayCommand(rest, "visualizer");
  if (command !== "run") throw new UsageError(`unknown command "${command}"`);
  // `--inspect` alone means the default relay; parseArgs wants a value for a string option.
  const args = rest.map((arg) => {
    if (arg === "--inspect") return `--inspect=${DEFAULT_RELAY_URL}`;
    return arg === "--visualize" ? `--visualize=${DEFAULT_RELAY_PORT}` : arg;
  });
  const { values } = parseCommandArgs({
    args,
    options: {
      config: { type: "string", short: "c" },
      "log-level": { type: "string" },
      inspect: { type: "string" },
      visualize: { type: "string" },
    },
    strict: true,
  });
  if (values.inspect !== undefined && !/^wss?:\/\/[^\s]+$/.test(values.inspect)) {
    throw new UsageError("--inspect needs a ws:// URL");
  }
  if (values.inspect !== undefined && values.visualize !== undefined) {
    throw new UsageError("give --inspect or --visualize, not both");
  }
  const visualizePort = values.visualize === undefined ? undefined : portOf(values.visualize);
  if (!values.config) throw new UsageError("run needs --config FILE");
  const configPath = values.config;
  // Loaded only for the command that needs it: `--version` and `--help` start at once.
  return import("./run.js").then(({ runDaemon }) =>
    runDaemon({
      configPath,
      logLevel: values["log-level"],
      inspect: values.inspect,
      visualizePort,
    }),
  );
}

/** `parseArgs`, with its errors as usage errors. */
function parseCommandArgs<const T extends ParseArgsConfig>(config: T): ParsedResults<T> {
  try {
    return parseArgs(config) as ParsedResults<T>;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function portOf(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError("a port must be 0..65535");
  return port;
}

function relayCommand(rest: readonly string[], show: "stately" | "visualizer"): Promise<number> {
  const { values } = parseCommandArgs({
    args: [...rest],
    options: { port: { type: "string", short: "p" } },
    strict: true,
  });
  const port = values.port === undefined ? DEFAULT_RELAY_PORT : portOf(values.port);
  return import("./relay.js").then(({ runRelay }) => runRelay(port, show));
}

function checkCommand(rest: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs({
    args: [...rest],
    options: { config: { type: "string", short: "c" }, json: { type: "boolean" } },
    strict: true,
  });
  return import("./check.js").then(({ runCheck }) =>
    runCheck({ configPath: values.config, json: values.json ?? false }),
  );
}

function controlCommand(command: string, rest: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args: [...rest],
    options: {
      config: { type: "string", short: "c" },
      socket: { type: "string" },
      json: { type: "boolean" },
      "show-secrets": { type: "boolean" },
      timestamp: { type: "boolean" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.config && values.socket) throw new UsageError("give --config or --socket, not both");
  return import("./control-commands.js").then(({ runControlCommand }) =>
    runControlCommand({
      command,
      args: positionals,
      configPath: values.config,
      socketPath: values.socket,
      json: values.json ?? false,
      showSecrets: values["show-secrets"],
      withTimestamp: values.timestamp,
    }),
  );
}

function wifiCommand(rest: readonly string[]): Promise<number> {
  const [name, ...args] = rest;
  if (name !== "scan") {
    throw new UsageError(
      name === undefined ? "wifi needs a command: scan" : `unknown wifi command "${name}"`,
    );
  }
  return controlCommand("wifi scan", args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`statenet: ${error.message}\n\n${USAGE}`);
      process.exitCode = EXIT_BAD_INPUT;
      return;
    }
    process.stderr.write(`statenet: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
