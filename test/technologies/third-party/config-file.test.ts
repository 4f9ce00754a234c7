import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/cli/config-file.js";
import { ConfigError } from "../../../src/config/validate.js";

/**
 * The configuration file's `technologies`: modules resolved from the file's
 * folder, loaded before the file is validated with their schemas.
 */

// The modules import the zod statenet uses, as a plugin that imports it from "statenet" does.
const ZOD = pathToFileURL(
  fileURLToPath(new URL("../../../node_modules/zod/index.js", import.meta.url)),
);

const technologyModule = (type: string, exportAs: "default" | "technology") => `
import { z } from ${JSON.stringify(ZOD.href)};
const technology = {
  type: ${JSON.stringify(type)},
  schema: z.strictObject({ type: z.literal(${JSON.stringify(type)}), mtu: z.number().int().min(68, "must be at least 68") }),
  plan: () => ({ up: [], down: [], files: [], daemons: [], reaches: "lan", routeClass: "unknown" }),
};
${exportAs === "default" ? "export default technology;" : "export { technology };"}
`;

let dir: string;

async function writeModule(path: string, content: string): Promise<void> {
  await mkdir(dirname(join(dir, path)), { recursive: true });
  await writeFile(join(dir, path), content);
}

async function load(config: Record<string, unknown>) {
  const path = join(dir, "etc", "statenet.json");
  await writeFile(path, JSON.stringify({ internetHosts: [], ...config }));
  return loadConfigFile(path);
}

async function problemsOf(config: Record<string, unknown>) {
  const error = await load(config).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  if (!(error instanceof ConfigError)) throw new Error(`no ConfigError: ${String(error)}`);
  return error.problems;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "statenet-technology-modules-"));
  await mkdir(join(dir, "etc"));
  // A package found from the file's folder as Node finds one: in a parent's node_modules.
  await writeModule(
    "node_modules/statenet-vxlan/package.json",
    JSON.stringify({ name: "statenet-vxlan", type: "module", exports: "./index.js" }),
  );
  await writeModule(
    "node_modules/statenet-vxlan/index.js",
    technologyModule("vxlan", "technology"),
  );
  await writeModule("etc/local-gre.js", technologyModule("gre", "default"));
  await writeModule("etc/nothing.js", "export const answer = 42;\n");
  await writeModule("etc/broken.js", 'throw new Error("half installed");\n');
  await writeModule("etc/impostor.js", technologyModule("ethernet", "default"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("technology modules named by the configuration file", () => {
  it("are loaded from the file's folder, by package name or path, before the file is validated", async () => {
    const { config, technologies } = await load({
      technologies: ["statenet-vxlan", "./local-gre.js"],
      interfaces: { vx0: { type: "vxlan", mtu: 1450 }, gre1: { type: "gre", mtu: 1400 } },
    });
    expect(technologies.map(({ type }) => type)).toEqual(["vxlan", "gre"]);
    expect(config.interfaces).toEqual({
      vx0: { type: "vxlan", mtu: 1450 },
      gre1: { type: "gre", mtu: 1400 },
    });
    expect(config.technologies).toEqual(["statenet-vxlan", "./local-gre.js"]);
  });

  it("validate their interfaces' configurations, naming the field", async () => {
    expect(
      await problemsOf({
        technologies: ["statenet-vxlan"],
        interfaces: { vx0: { type: "vxlan", mtu: 9 } },
      }),
    ).toEqual([{ path: "interfaces.vx0.mtu", message: "must be at least 68" }]);
  });

  it("left out, leave their types unknown", async () => {
    const [problem] = await problemsOf({ interfaces: { vx0: { type: "vxlan", mtu: 1450 } } });
    expect(problem).toEqual({
      path: "interfaces.vx0.type",
      message: expect.stringContaining("unknown technology"),
    });
  });

  it.each([
    ["one that cannot be found", "statenet-nope", 'cannot find module "statenet-nope" from'],
    ["one that fails to load", "./broken.js", "half installed"],
    [
      "one that exports no technology",
      "./nothing.js",
      'module "./nothing.js" exports no technology',
    ],
    ["one whose type is taken", "./impostor.js", '"ethernet" is taken by a built-in technology'],
  ])("refuse %s, naming its entry", async (_, name, message) => {
    expect(await problemsOf({ technologies: ["statenet-vxlan", name] })).toEqual([
      { path: "technologies.1", message: expect.stringContaining(message) },
    ]);
  });

  it("must be a list of names", async () => {
    expect(await problemsOf({ technologies: "statenet-vxlan" })).toEqual([
      { path: "technologies", message: "must be a list of module names" },
    ]);
    expect(await problemsOf({ technologies: ["statenet-vxlan", ""] })).toEqual([
      { path: "technologies.1", message: "must name a module" },
    ]);
  });
});
