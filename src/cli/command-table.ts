import { LOG_FORMATS, LOG_LEVELS } from "../log.js";

/**
 * Every command of the CLI, its arguments and options: the one table that
 * main.ts parses command lines with and that the help, the man page and the
 * shell completion are written from (scripts/write-cli-docs.ts), so none of
 * them can tell another story. Plain data: the client commands load it.
 */

export interface CliOption {
  long: string;
  short?: string;
  /** The value's name (`FILE`); an option without one is a flag. */
  value?: string;
  /** `--inspect[=URL]`: the value may be left out, and then is this. */
  valueWhenAbsent?: string;
  /** The only values it takes. */
  choices?: readonly string[];
  /** The value is a file name: the shell completes files. */
  file?: boolean;
  required?: boolean;
  help: string;
}

export interface CliCommand {
  /** As typed: `force-reset`, `wifi scan`. */
  name: string;
  /** The positional arguments, as the synopsis shows them. */
  args?: string;
  /** One line (wrapped) in `statenet --help`. */
  summary: string;
  /** The paragraphs of `statenet <name> --help` and the man page. */
  description: readonly string[];
  options: readonly CliOption[];
  /** Asks the running daemon over its control socket. */
  daemon: boolean;
  /** Environment variables it reads, with what they do. */
  environment?: ReadonlyArray<readonly [name: string, help: string]>;
}

export const DEFAULT_RELAY_PORT = 8080;
const DEFAULT_RELAY_URL = `ws://127.0.0.1:${DEFAULT_RELAY_PORT}`;

export const HELP_OPTION: CliOption = { long: "help", short: "h", help: "show this help" };

const orList = (items: readonly string[]) =>
  `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;

const LOG_LEVEL: CliOption = {
  long: "log-level",
  value: "LEVEL",
  choices: LOG_LEVELS,
  help: `${orList(LOG_LEVELS)} (default: STATENET_LOG_LEVEL, else info); debug adds every property change`,
};

const LOG_FORMAT: CliOption = {
  long: "log-format",
  value: "FORMAT",
  choices: LOG_FORMATS,
  help: "json (JSON lines, the default: STATENET_LOG_FORMAT, else json) or pretty (a line a person reads: time, level, message, key=value)",
};

/** Where `inspect` and `visualize` listen. */
const RELAY_PORT: CliOption = {
  long: "port",
  short: "p",
  value: "N",
  help: `the port on 127.0.0.1 (default ${DEFAULT_RELAY_PORT}; 0 picks a free one)`,
};

/** `--config FILE`, with what the file is for in this command. */
const configOption = (help: string, required?: true): CliOption => ({
  long: "config",
  short: "c",
  value: "FILE",
  file: true,
  ...(required && { required }),
  help,
});

/** What every command that asks the daemon takes. */
export const DAEMON_OPTIONS: readonly CliOption[] = [
  configOption(
    "the daemon's configuration file: its tmpDir holds the control socket (default tmpDir /var/run/statenet)",
  ),
  { long: "socket", value: "PATH", file: true, help: "the control socket itself" },
  { long: "json", help: "the daemon's reply as JSON, for scripts" },
];

const daemonCommand = (
  command: Omit<CliCommand, "daemon" | "options">,
  own: readonly CliOption[] = [],
): CliCommand => ({ ...command, daemon: true, options: [...DAEMON_OPTIONS, ...own] });

export const COMMANDS: readonly CliCommand[] = [
  {
    name: "run",
    summary: "run the network manager in the foreground",
    description: [
      "Runs the network manager in the foreground until SIGTERM or SIGINT (exit 0); SIGHUP re-reads the configuration file. The file and this machine are checked first: a bad file exits 2, a machine statenet cannot work on exits 1, before anything is touched. Logs go to stdout, secrets masked.",
      "--inspect and --visualize exclude each other.",
    ],
    daemon: false,
    options: [
      configOption("the configuration file", true),
      LOG_LEVEL,
      LOG_FORMAT,
      {
        long: "inspect",
        value: "URL",
        valueWhenAbsent: DEFAULT_RELAY_URL,
        help: `send the statecharts to an inspection relay (a ws:// URL; default ${DEFAULT_RELAY_URL}, as statenet inspect serves)`,
      },
      {
        long: "visualize",
        value: "PORT",
        valueWhenAbsent: String(DEFAULT_RELAY_PORT),
        help: `serve the visualizer itself on 127.0.0.1:PORT (default ${DEFAULT_RELAY_PORT})`,
      },
    ],
    environment: [
      ["STATENET_LOG_LEVEL", `the log level when --log-level is not given: ${orList(LOG_LEVELS)}`],
      ["STATENET_LOG_FORMAT", "the log format when --log-format is not given: json or pretty"],
      [
        "STATENET_NODE_FLAGS",
        "node's flags in bin/statenet, instead of its defaults, which save memory at the price of speed (--max-semi-space-size=1 --lite-mode --no-expose-wasm --single-threaded-gc)",
      ],
    ],
  },
  {
    name: "check",
    summary:
      "check the configuration file and this machine (touches nothing); exit 1 if statenet cannot work here",
    description: [
      "Checks the configuration file as run does, then this machine: iproute2's ip, policy routing, flock, and the programs the interfaces' plans run; other network managers and DHCP clients are warnings. Touches nothing. One line per finding (ok, warning or error). Exit 2 for a bad file, 1 when statenet cannot work here, else 0.",
    ],
    daemon: false,
    options: [
      configOption(
        "the configuration file (without one, the machine is checked against the defaults)",
      ),
      { long: "json", help: "the findings as JSON, for scripts" },
    ],
  },
  {
    name: "inspect",
    summary: `run the inspection relay on 127.0.0.1 (port ${DEFAULT_RELAY_PORT}) for Stately's inspector`,
    description: [
      "Runs the inspection relay on 127.0.0.1 until SIGINT or SIGTERM, for a daemon run with --inspect, and prints the address of a page that shows the statecharts in Stately's inspector (the browser needs the Internet for it).",
    ],
    daemon: false,
    options: [RELAY_PORT],
  },
  {
    name: "visualize",
    summary: "the same relay, showing the offline visualizer",
    description: [
      "Runs the inspection relay on 127.0.0.1 until SIGINT or SIGTERM, for a daemon run with --inspect, and serves statenet's own visualizer (works offline).",
    ],
    daemon: false,
    options: [RELAY_PORT],
  },
  daemonCommand({
    name: "status",
    summary:
      "one-screen summary: each uplink's state, connection and why, address, gateway, metric, last check, power",
    description: [
      "One screen on the uplinks: for each interface its state, its connection and why, its address, gateway and route metric, the last connectivity check, and its power.",
    ],
  }),
  daemonCommand(
    {
      name: "info",
      summary:
        "every interface: type, state, connection, addresses, config (secrets masked unless --show-secrets: root only), power",
      description: [
        "Everything the daemon knows: the connection, the route order, the name servers, and for every interface its type, state, connection, addresses, configuration and where it came from, and its power.",
      ],
    },
    [
      {
        long: "show-secrets",
        help: "the configurations with their secrets (root only, and only from a root daemon)",
      },
    ],
  ),
  daemonCommand(
    {
      name: "get",
      args: "KEY",
      summary: "one property (interface/eth0/state), or all under a prefix",
      description: [
        "One property's value; KEY is a path such as interface/eth0/state or connection (or its parts as separate words).",
        "A KEY with properties under it (interface/eth0) lists each of them as `key value`; exit 1 when there is nothing at KEY.",
      ],
    },
    [{ long: "timestamp", help: "also how long ago the value was set" }],
  ),
  daemonCommand({
    name: "subscribe",
    args: "[PREFIX]",
    summary: "current values under PREFIX, then changes, until Ctrl-C",
    description: [
      "Prints the properties under PREFIX (all of them without one) as they are now, then every change, one line each with the time of day, until Ctrl-C or the daemon stops.",
    ],
  }),
  daemonCommand({
    name: "configure",
    args: "IFNAME JSON|@FILE",
    summary: "apply and save a configuration",
    description: [
      "Checks the interface's configuration (JSON, or @FILE to read it from a file), then saves and applies it. A bad one exits 2 naming the field, and the running one stays.",
    ],
  }),
  daemonCommand({
    name: "deconfigure",
    args: "IFNAME",
    summary: "stop managing it (saved)",
    description: ["Stops managing the interface, and saves that."],
  }),
  daemonCommand({
    name: "reset",
    args: "IFNAME",
    summary: "back to the configuration file's one",
    description: ["Forgets the configuration saved at run time: the file's one applies again."],
  }),
  daemonCommand({
    name: "force-reset",
    args: "IFNAME",
    summary: "power-cycle the interface's device now",
    description: ["Power-cycles the interface's device now, through its power manager."],
  }),
  daemonCommand({
    name: "reload",
    summary: "re-read the daemon's configuration file (as SIGHUP does); says what changed",
    description: [
      "Has the daemon re-read its configuration file, as SIGHUP does, and says what changed. A bad file changes nothing.",
    ],
  }),
  daemonCommand({
    name: "wifi scan",
    args: "IFNAME",
    summary:
      "the access points IFNAME's WiFi hears, strongest first (waits up to 30 s); exit 2 if IFNAME runs no WiFi",
    description: [
      "The access points IFNAME's WiFi hears, strongest first, waiting for the scan (up to 30 s). Exit 2 if IFNAME runs no WiFi.",
    ],
  }),
];

export const commandNamed = (name: string): CliCommand | undefined =>
  COMMANDS.find((command) => command.name === name);

type ExitStatuses = ReadonlyArray<readonly [code: number, help: string]>;

/** The exit statuses of every command, for the man page. */
export const EXIT_STATUS_HELP: ExitStatuses = [
  [0, "done"],
  [
    1,
    "it failed: statenet cannot work on this machine, no daemon answered, or the daemon could not do it",
  ],
  [2, "a bad command line, configuration or request: nothing was changed"],
];

/** The exit statuses `command` may end with, for its help. */
function exitStatuses(command: CliCommand): ExitStatuses {
  if (command.daemon) {
    return [
      [0, "done"],
      [1, "no daemon answered, or it could not do it"],
      [2, "a bad command line or request: nothing was changed"],
    ];
  }
  if (command.name === "run" || command.name === "check") {
    return [
      [0, command.name === "run" ? "stopped by SIGTERM or SIGINT" : "statenet can work here"],
      [1, "statenet cannot work on this machine, or it failed"],
      [2, "a bad command line or configuration file: nothing was touched"],
    ];
  }
  return [
    [0, "stopped by SIGINT or SIGTERM"],
    [1, "it cannot listen on that port"],
    [2, "a bad command line"],
  ];
}

// ---------------------------------------------------------------------------
// Help text

export const HELP_WIDTH = 80;

/** `text` in lines of at most `width` columns, each after `indent` (the first after `first`). */
export function wrap(text: string, width: number, indent: string, first = indent): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent;
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  lines.push(line);
  return lines;
}

/** `--config FILE`, `--inspect[=URL]`, `--json`. */
function optionSpelling(option: CliOption): string {
  if (option.value === undefined) return `--${option.long}`;
  if (option.valueWhenAbsent !== undefined) return `--${option.long}[=${option.value}]`;
  return `--${option.long} ${option.value}`;
}

/** The command's line: its name, arguments and options, the daemon's common ones left out. */
export function synopsis(command: CliCommand, { common = true } = {}): string {
  const options = command.options.filter(
    (option) => common || !command.daemon || !DAEMON_OPTIONS.includes(option),
  );
  const parts = [command.name];
  for (const option of options.filter(({ required }) => required)) {
    parts.push(optionSpelling(option));
  }
  if (command.args) parts.push(command.args);
  if (common && command.daemon) parts.push("[--config FILE | --socket PATH]", "[--json]");
  for (const option of options.filter(({ required }) => !required)) {
    if (common && command.daemon && DAEMON_OPTIONS.includes(option)) continue;
    parts.push(`[${optionSpelling(option)}]`);
  }
  return parts.join(" ");
}

/** Two columns: `left` then the wrapped `right` at `column` (below `left` when it is too wide). */
function columns(left: string, right: string, column: number): string[] {
  if (left.length + 2 <= column) {
    return wrap(right, HELP_WIDTH, " ".repeat(column), left.padEnd(column));
  }
  const indent = /^ */.exec(left)?.[0] ?? "";
  return [
    ...wrap(left, HELP_WIDTH, `${indent}    `, indent),
    ...wrap(right, HELP_WIDTH, " ".repeat(column)),
  ];
}

const COMMAND_COLUMN = 30;

export function topLevelHelp(version: string): string {
  const entries = (daemon: boolean) =>
    COMMANDS.filter((command) => command.daemon === daemon).flatMap((command) =>
      columns(`  ${synopsis(command, { common: false })}`, command.summary, COMMAND_COLUMN),
    );
  return [
    `Usage: statenet <command> [options]      (statenet ${version})`,
    "",
    "Commands:",
    ...entries(false),
    "",
    "Commands that ask the running daemon, each with [--config FILE | --socket PATH]",
    "(where its control socket is) and [--json]:",
    ...entries(true),
    "",
    "Options:",
    "  -h, --help       show this help",
    "  -v, --version    show the version",
    "",
    "statenet <command> --help shows a command's options; man statenet shows all.",
    "",
  ].join("\n");
}

function optionLeft(option: CliOption): string {
  return `  ${option.short ? `-${option.short}, ` : "    "}${optionSpelling(option)}`;
}

/** `statenet <command> --help`. */
export function commandHelp(command: CliCommand): string {
  const options = [...command.options, HELP_OPTION];
  const column = Math.min(30, Math.max(...options.map((option) => optionLeft(option).length)) + 3);
  const usage = wrap(synopsis(command), HELP_WIDTH, " ".repeat(17), "Usage: statenet ");
  const lines = [...usage, ""];
  for (const paragraph of command.description) lines.push(...wrap(paragraph, HELP_WIDTH, ""), "");
  lines.push("Options:");
  for (const option of options) lines.push(...columns(optionLeft(option), option.help, column));
  if (command.environment) {
    lines.push("", "Environment:");
    for (const [name, help] of command.environment) lines.push(...columns(`  ${name}`, help, 24));
  }
  lines.push("", "Exit status:");
  for (const [code, help] of exitStatuses(command)) lines.push(...columns(`  ${code}`, help, 6));
  lines.push("");
  return lines.join("\n");
}

/** `statenet wifi --help`: the commands under one word. */
export function groupHelp(group: string): string {
  const members = COMMANDS.filter((command) => command.name.startsWith(`${group} `));
  return [
    `Usage: statenet ${group} <command> [options]`,
    "",
    "Commands:",
    ...members.flatMap((command) =>
      columns(
        `  ${synopsis(command, { common: false }).slice(group.length + 1)}`,
        command.summary,
        COMMAND_COLUMN,
      ),
    ),
    "",
    `statenet ${group} <command> --help shows a command's options.`,
    "",
  ].join("\n");
}
