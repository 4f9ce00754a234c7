import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { EXIT_BAD_INPUT, EXIT_OK } from "./exit-codes.js";
import { runDaemon } from "./run.js";

const USAGE = `Usage: statenet <command> [options]

Commands:
  run --config FILE [--log-level LEVEL]   run the network manager in the foreground

Options:
  -h, --help       show this help
  -v, --version    show the version
`;

class UsageError extends Error {}

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
  if (command !== "run") throw new UsageError(`unknown command "${command}"`);
  let values: { config?: string | undefined; "log-level"?: string | undefined };
  try {
    ({ values } = parseArgs({
      args: [...rest],
      options: { config: { type: "string", short: "c" }, "log-level": { type: "string" } },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (!values.config) throw new UsageError("run needs --config FILE");
  return runDaemon({ configPath: values.config, logLevel: values["log-level"] });
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
