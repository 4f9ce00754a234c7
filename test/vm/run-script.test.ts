import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { runScript, shellQuote } from "../../lab/vm/run-in-vm.js";

describe("the script the VM runs", () => {
  it("hands the command its words exactly, in the directory, with a clean environment", async () => {
    const dir = await mkdtemp(join(tmpdir(), "statenet-vm-script-"));
    try {
      const words = ["it's", "two words", "$HOME", "`id`", "back\\slash", "new\nline", ""];
      const script = runScript(
        ["sh", "-c", 'pwd; printf "[%s]\\n" "$@"; echo "$EXTRA|$PATH|$HOME"', "sh", ...words],
        dir,
        { EXTRA: "a'b" },
      );
      await writeFile(join(dir, "run.sh"), script);
      const { stdout } = await execa("sh", [join(dir, "run.sh")], {
        cwd: "/",
        env: {},
        extendEnv: false,
      });
      expect(stdout).toBe(
        [
          dir,
          ...words.map((word) => `[${word}]`),
          "a'b|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|/root",
        ].join("\n"),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("quotes for the shell", () => {
    expect(shellQuote("plain")).toBe("'plain'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });
});
