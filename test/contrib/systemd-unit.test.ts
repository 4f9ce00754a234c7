import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/** The systemd unit shipped in contrib/, as `systemd-analyze verify` and the README see it. */

const UNIT = fileURLToPath(new URL("../../contrib/systemd/statenet.service", import.meta.url));
const STATENET = fileURLToPath(new URL("../../bin/statenet", import.meta.url));

const analyze = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
const missing = analyze.error ? "skipped: systemd-analyze is not installed" : undefined;

/** Each `Key=value` of the unit by section; a key given twice keeps both values. */
function settings(text: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1] as string;
      continue;
    }
    const at = line.indexOf("=");
    const key = `${section}.${line.slice(0, at)}`;
    found.set(key, [...(found.get(key) ?? []), line.slice(at + 1)]);
  }
  return found;
}

describe("contrib/systemd/statenet.service", () => {
  it("says what the README promises", async () => {
    const unit = settings(await readFile(UNIT, "utf8"));
    const service = (key: string) => unit.get(`Service.${key}`);
    expect(service("KillMode")).toEqual(["mixed"]);
    expect(service("Restart")).toEqual(["on-failure"]);
    expect(service("ExecReload")).toEqual(["/bin/kill -HUP $MAINPID"]);
    expect(service("CapabilityBoundingSet")).toEqual([
      "CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE",
    ]);
    expect(service("ProtectSystem")).toEqual(["strict"]);
    // tmpDir and stateDir of the default configuration.
    expect(service("RuntimeDirectory")).toEqual(["statenet"]);
    expect(service("StateDirectory")).toEqual(["statenet"]);
  });

  it.skipIf(missing !== undefined)(
    `passes systemd-analyze verify without a warning${missing ? ` (${missing})` : ""}`,
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "statenet-unit-"));
      try {
        // verify wants ExecStart's program to exist: this tree's, in a copy of the unit.
        const text = (await readFile(UNIT, "utf8")).replace("/usr/local/bin/statenet", STATENET);
        expect(text).toContain(`ExecStart=${STATENET} run`);
        const copy = join(dir, "statenet.service");
        await writeFile(copy, text);
        const result = spawnSync("systemd-analyze", ["verify", copy], { encoding: "utf8" });
        // Unknown keys and bad values are only warnings: the exit code alone would not tell.
        const about = `${result.stdout}${result.stderr}`
          .split("\n")
          .filter((line) => line.includes("statenet"));
        expect({ status: result.status, about }).toEqual({ status: 0, about: [] });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
