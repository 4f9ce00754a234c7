import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ControlSocketPathError,
  controlSocketOf,
  DEFAULT_TMP_DIR,
} from "../../src/cli/control-socket-path.js";
import { configSchema } from "../../src/config/schema.js";
import { CONTROL_SOCKET_NAME } from "../../src/control/protocol.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "statenet-socket-path-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe("controlSocketOf", () => {
  it("defaults to the schema's tmpDir", async () => {
    expect(DEFAULT_TMP_DIR).toBe(configSchema.parse({}).tmpDir);
    const expected = join(DEFAULT_TMP_DIR, "control", CONTROL_SOCKET_NAME);
    expect(await controlSocketOf(undefined)).toBe(expected);
    expect(await controlSocketOf(await file("none.json", "{}"))).toBe(expected);
  });

  it("takes the file's tmpDir", async () => {
    const path = await file("tmp.json", JSON.stringify({ tmpDir: "/run/sn" }));
    expect(await controlSocketOf(path)).toBe(join("/run/sn", "control", CONTROL_SOCKET_NAME));
  });

  it("names the problem of a file it cannot use", async () => {
    const cases: Array<[string, string | undefined, RegExp]> = [
      ["missing.json", undefined, /^\(file\): cannot read .*missing\.json: ENOENT$/],
      ["bad.json", "{", /^\(file\): .*bad\.json is not JSON: /],
      ["list.json", "[]", /^\(root\): .*list\.json is not a JSON object$/],
      ["relative.json", JSON.stringify({ tmpDir: "run" }), /^tmpDir: must be an absolute path$/],
      ["number.json", JSON.stringify({ tmpDir: 3 }), /^tmpDir: must be an absolute path$/],
    ];
    for (const [name, text, message] of cases) {
      const path = text === undefined ? join(dir, name) : await file(name, text);
      const error = await controlSocketOf(path).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ControlSocketPathError);
      expect((error as Error).message).toMatch(message);
    }
  });
});
