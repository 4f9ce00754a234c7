import { describe, expect, it } from "vitest";
import {
  COMMANDS,
  commandHelp,
  commandNamed,
  groupHelp,
  HELP_WIDTH,
  topLevelHelp,
} from "../../src/cli/command-table.js";
import { CONTROL_COMMANDS } from "../../src/control/protocol.js";
import { LOG_LEVELS } from "../../src/log.js";
import { statenetFromSource } from "../support/statenet-cli.js";

/**
 * The CLI's help and its answer to a command line that is not one: every
 * command has its own --help, every help fits 80 columns, and a bad
 * command line is two lines, not the whole usage.
 */

const statenet = (args: readonly string[], env: Record<string, string> = {}) =>
  statenetFromSource(args, { env });

const tooWide = (text: string) => text.split("\n").filter((line) => line.length > HELP_WIDTH);

describe("the help texts", () => {
  it("fit in 80 columns: the top level's, every command's and the wifi group's", () => {
    expect(tooWide(topLevelHelp("1.2.3"))).toEqual([]);
    for (const command of COMMANDS) {
      expect({ command: command.name, lines: tooWide(commandHelp(command)) }).toEqual({
        command: command.name,
        lines: [],
      });
    }
    expect(tooWide(groupHelp("wifi"))).toEqual([]);
  });

  it("the top level lists every command, status with its summary", () => {
    const help = topLevelHelp("1.2.3");
    for (const command of COMMANDS) expect(help).toMatch(new RegExp(`^  ${command.name}\\b`, "m"));
    expect(help).toMatch(/^ {2}status {2,}one-screen summary: each uplink's state,$/m);
  });

  it("lists every command of the control protocol", () => {
    const listed = COMMANDS.map(({ name }) => name.replace(" ", "_").replaceAll("-", "_"));
    for (const name of CONTROL_COMMANDS) expect(listed).toContain(name);
  });

  it("run's help names every log level and the environment variables", () => {
    const run = commandNamed("run");
    if (!run) throw new Error("no run command in the table");
    const help = commandHelp(run);
    const flat = help.replace(/\s+/g, " ");
    expect(flat).toContain(`${LOG_LEVELS.slice(0, -1).join(", ")} or silent`);
    expect(help).toMatch(/^ {2}STATENET_LOG_LEVEL /m);
    expect(help).toMatch(/^ {2}STATENET_LOG_FORMAT /m);
    expect(help).toMatch(/--log-format FORMAT/);
  });
});

/** Each run starts node and tsx: seconds each on a busy 2-core machine. */
describe("statenet <command> --help", { timeout: 90_000 }, () => {
  it("prints the command's own help and exits 0, for every command", async () => {
    const commands = [...COMMANDS.map(({ name }) => name.split(" ")), ["wifi"]];
    const results = await Promise.all(
      commands.map((words, index) => statenet([...words, index % 2 === 0 ? "--help" : "-h"])),
    );
    for (const [index, words] of commands.entries()) {
      const result = results[index];
      const name = words.join(" ");
      const command = COMMANDS.find((listed) => listed.name === name);
      expect({ name, exitCode: result?.exitCode, stderr: result?.stderr }).toEqual({
        name,
        exitCode: 0,
        stderr: "",
      });
      expect(`${result?.stdout}\n`).toBe(command ? commandHelp(command) : groupHelp(name));
    }
  });

  it("statenet --help and statenet help get print the help, exit 0", async () => {
    const [top, get] = await Promise.all([statenet(["--help"]), statenet(["help", "get"])]);
    expect(top.exitCode).toBe(0);
    expect(tooWide(top.stdout)).toEqual([]);
    expect(top.stdout).toContain("Usage: statenet <command> [options]");
    expect(get.exitCode).toBe(0);
    expect(get.stdout).toMatch(/^Usage: statenet get KEY /);
  });
});

describe("a command line that is not one", { timeout: 90_000 }, () => {
  it("is one line saying why and one pointing at the help, exit 2", async () => {
    const cases: Array<[string[], Record<string, string>, string, string]> = [
      [["run", "--bogus"], {}, "Unknown option '--bogus'", "run"],
      [["run"], {}, "run needs --config FILE", "run"],
      [
        ["run", "--config", "x.json", "--log-level", "loud"],
        {},
        `--log-level loud: not one of ${LOG_LEVELS.join(", ")}`,
        "run",
      ],
      [
        ["run", "--config", "x.json"],
        { STATENET_LOG_LEVEL: "loud" },
        `STATENET_LOG_LEVEL=loud: not one of ${LOG_LEVELS.join(", ")}`,
        "run",
      ],
      [
        ["run", "--config", "x.json", "--log-format", "xml"],
        {},
        "--log-format xml: not one of json, pretty",
        "run",
      ],
      [["visualize", "--port", "70000"], {}, "a port must be 0..65535", "visualize"],
      [["check", "extra"], {}, "Unexpected argument 'extra'", "check"],
      [["info", "--verbose"], {}, "Unknown option '--verbose'", "info"],
      [["nope"], {}, 'unknown command "nope"', ""],
    ];
    const results = await Promise.all(cases.map(([args, env]) => statenet(args, env)));
    for (const [index, [args, , message, command]] of cases.entries()) {
      const result = results[index];
      const help = command ? `statenet ${command} --help` : "statenet --help";
      expect({
        args,
        exitCode: result?.exitCode,
        stdout: result?.stdout,
        stderr: result?.stderr,
      }).toEqual({
        args,
        exitCode: 2,
        stdout: "",
        stderr: `statenet: ${message}\nTry '${help}'.`,
      });
    }
  });

  it("with --json, is the JSON failure every command gives, on stdout, exit 2", async () => {
    const result = await statenet(["get", "--json", "--bogus"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({
      ok: false,
      error: { code: "bad_usage", message: "Unknown option '--bogus'" },
    });
  });
});
