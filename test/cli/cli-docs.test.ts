import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { bashCompletion, manPage } from "../../src/cli/cli-docs.js";
import { COMMANDS } from "../../src/cli/command-table.js";

/**
 * The man page and the bash completion are written from the command table
 * (npm run cli-docs); the committed files must be what it writes now.
 */

const root = new URL("../../", import.meta.url);
const committed = (path: string) => readFile(new URL(path, root), "utf8");
const COMPLETION = fileURLToPath(new URL("contrib/completion/statenet.bash", root));

describe("the generated CLI documents", () => {
  it("docs/statenet.1 is what the generator writes now (npm run cli-docs)", async () => {
    const { version } = JSON.parse(await committed("package.json")) as { version: string };
    expect(await committed("docs/statenet.1")).toBe(manPage(version));
  });

  it("contrib/completion/statenet.bash is what the generator writes now (npm run cli-docs)", async () => {
    expect(await committed("contrib/completion/statenet.bash")).toBe(bashCompletion());
  });

  it("the man page has every command and option of the table", async () => {
    const page = await committed("docs/statenet.1");
    for (const command of COMMANDS) {
      expect(page).toContain(`.SS ${command.name}\n`);
      for (const option of command.options) {
        expect(page).toContain(`\\fB\\-\\-${option.long.replaceAll("-", "\\-")}\\fR`);
      }
    }
  });
});

/** Completes `line` (the cursor at its end) with the committed script, as bash would. */
async function complete(line: string): Promise<string[]> {
  const words = line.split(" ");
  const script = [
    `source ${JSON.stringify(COMPLETION)}`,
    `COMP_WORDS=(${words.map((word) => JSON.stringify(word)).join(" ")})`,
    `COMP_CWORD=${words.length - 1}`,
    `COMP_LINE=${JSON.stringify(line)}`,
    `COMP_POINT=${line.length}`,
    "_statenet",
    `printf "%s\\n" "\${COMPREPLY[@]}"`,
  ].join("\n");
  const { stdout } = await execa("bash", ["--norc", "--noprofile", "-c", script]);
  return stdout.split("\n").filter(Boolean).sort();
}

describe("bash completion", () => {
  it("completes commands", async () => {
    expect(await complete("statenet ")).toEqual(
      [
        ...COMMANDS.filter(({ name }) => !name.includes(" ")).map(({ name }) => name),
        "wifi",
        "help",
        "--help",
        "--version",
      ].sort(),
    );
    expect(await complete("statenet st")).toEqual(["status"]);
    expect(await complete("statenet re")).toEqual(["reload", "reset"]);
    expect(await complete("statenet wifi ")).toEqual(["--help", "scan"]);
  });

  it("completes a command's options and the values of those that have a few", async () => {
    expect(await complete("statenet run --log-")).toEqual(["--log-format", "--log-level"]);
    expect(await complete("statenet run --log-level ")).toEqual([
      "debug",
      "error",
      "fatal",
      "info",
      "silent",
      "trace",
      "warn",
    ]);
    expect(await complete("statenet run --log-format p")).toEqual(["pretty"]);
    expect(await complete("statenet info --")).toEqual([
      "--config",
      "--help",
      "--json",
      "--show-secrets",
      "--socket",
    ]);
    expect(await complete("statenet get KEY --t")).toEqual(["--timestamp"]);
    expect(await complete("statenet wifi scan --j")).toEqual(["--json"]);
  });

  it("completes interface names where an IFNAME goes", async () => {
    expect(await complete("statenet force-reset l")).toEqual(["lo"]);
    // After the interface, options: configure's JSON is not guessed.
    expect(await complete("statenet reset lo --s")).toEqual(["--socket"]);
  });
});
