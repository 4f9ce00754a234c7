import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The package as a user gets it: `npm pack` (its prepack build included) in
 * a copy of the tree, so that the checkout's dist/ is left alone, then the
 * tarball unpacked into an app whose node_modules links the package's
 * dependencies from this checkout's (no network), and used from there.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PACKAGE = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  files: string[];
  dependencies: Record<string, string>;
  man?: string[];
};
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");

function run(command: string, args: readonly string[], cwd: string) {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", timeout: 60_000 });
  return {
    status: result.status,
    stdout: result.stdout,
    output: `${result.stdout}${result.stderr}`,
  };
}

function runOk(command: string, args: readonly string[], cwd: string): string {
  const { status, stdout, output } = run(command, args, cwd);
  if (status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${status}):\n${output}`);
  return stdout;
}

let dir: string;
let app: string;
/** The tarball's paths, without the leading `package/`. */
let files: string[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "statenet-package-"));
  const tree = join(dir, "tree");
  const sources = [
    "package.json",
    "tsconfig.json",
    "tsconfig.build.json",
    "README.md",
    "LICENSE",
    "src",
    "machines",
    ...PACKAGE.files,
    ...(PACKAGE.man ?? []),
  ].filter((path) => path !== "dist");
  for (const path of sources) {
    if (!existsSync(join(ROOT, path))) continue;
    cpSync(join(ROOT, path), join(tree, path), { recursive: true });
  }
  symlinkSync(join(ROOT, "node_modules"), join(tree, "node_modules"));
  const packed = JSON.parse(
    runOk("npm", ["pack", "--json", "--pack-destination", dir], tree).replace(/^[^[]*/, ""),
  ) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const [tarball] = packed;
  if (!tarball) throw new Error("npm pack made no tarball");
  files = tarball.files.map(({ path }) => path);

  app = join(dir, "app");
  const installed = join(app, "node_modules/statenet");
  mkdirSync(installed, { recursive: true });
  runOk("tar", ["-xzf", join(dir, tarball.filename), "-C", installed, "--strip-components=1"], dir);
  // Only what the package depends on (and @types/node, as a Node app has it).
  for (const name of [...Object.keys(PACKAGE.dependencies), "@types/node"]) {
    mkdirSync(dirname(join(app, "node_modules", name)), { recursive: true });
    symlinkSync(join(ROOT, "node_modules", name), join(app, "node_modules", name));
  }
  mkdirSync(join(app, "node_modules/.bin"));
  symlinkSync("../statenet/bin/statenet", join(app, "node_modules/.bin/statenet"));
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", type: "module" }));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the npm tarball", () => {
  it("holds the config's JSON Schema, the license and the type declarations", () => {
    expect(files).toContain("schema/statenet-config.schema.json");
    expect(files).toContain("LICENSE");
    expect(files).toContain("dist/src/index.d.ts");
    expect(files).toContain("dist/src/cli/main.js");
    const schema = JSON.parse(
      readFileSync(join(app, "node_modules/statenet/schema/statenet-config.schema.json"), "utf8"),
    ) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toContain("$schema");
  });

  it("ships no source maps: they would point at src/, which it does not ship", () => {
    // Left out on purpose (see tsconfig.build.json).
    expect(files.filter((path) => path.endsWith(".map"))).toEqual([]);
  });

  it("runs the installed statenet --help", () => {
    const { status, output } = run(join(app, "node_modules/.bin/statenet"), ["--help"], app);
    expect(output).toMatch(/^Usage: statenet <command> \[options\]/);
    expect(output).toMatch(/^ {2}run /m);
    expect(status).toBe(0);
  });
});

/** A strict consumer: a valid use, and a config with a typo that must not compile. */
const CONSUMER = `
import {
  type ConfigInput,
  type ConfigProblem,
  type ConfigureOptions,
  createNetworkManager,
  type EthernetConfigInput,
  type InterfaceInfo,
  type PowerInfo,
  type RouteInterfaceInfo,
} from "statenet";

const config: ConfigInput = {
  $schema: "./node_modules/statenet/schema/statenet-config.schema.json",
  interfaces: { eth0: { type: "ethernet", ipv4: { method: "dhcp" }, routeType: "wifi" } },
  internetHosts: [],
};
const manager = createNetworkManager({ config, persistence: null });
const eth1: EthernetConfigInput = {
  type: "ethernet",
  ipv4: { method: "static", address: "192.0.2.2", prefixLength: 24 },
};
const options: ConfigureOptions = { persist: false };
await manager.configure("eth1", eth1, options);
const info: InterfaceInfo | undefined = manager.info().interfaces.eth0;
const connection: "disconnected" | "lan" | "internet" | undefined = info?.connection;
const power: PowerInfo | undefined = info?.power;
const problems: readonly ConfigProblem[] = [];
const route: RouteInterfaceInfo | undefined = undefined;
console.log(connection, power, problems, route);
`;

const TYPO = `
import { createNetworkManager } from "statenet";

const manager = createNetworkManager({ config: {}, persistence: null });
await manager.configure("eth0", { type: "ethernet", ipv4: { method: "dhpc" } });
`;

/** The consumer's project under this resolution (made once). */
function consumer(resolution: string, module: string): string {
  const project = join(dir, `consumer-${resolution}`);
  if (existsSync(project)) return project;
  mkdirSync(project);
  cpSync(join(app, "package.json"), join(project, "package.json"));
  symlinkSync(join(app, "node_modules"), join(project, "node_modules"));
  writeFileSync(join(project, "main.ts"), CONSUMER);
  writeFileSync(join(project, "typo.ts"), TYPO);
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module,
        moduleResolution: resolution,
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ["node"],
      },
      files: ["main.ts", "typo.ts"],
    }),
  );
  return project;
}

describe.each([
  { resolution: "NodeNext", module: "NodeNext" },
  { resolution: "node10", module: "ES2022" },
])("a TypeScript consumer with moduleResolution $resolution", ({ resolution, module }) => {
  it("type-checks a valid use and refuses a config typo", () => {
    const project = consumer(resolution, module);
    const { status, output } = run("node", [TSC, "-p", "."], project);
    const errors = output.split("\n").filter((line) => /error TS\d+/.test(line));
    expect(errors.length, output).toBeGreaterThan(0);
    // Every error is the typo's, and it is about the method.
    expect(
      errors.filter((line) => !line.startsWith("typo.ts")),
      output,
    ).toEqual([]);
    expect(output).toMatch(/"dhpc"/);
    expect(status).not.toBe(0);
  }, 60_000);
});

describe("an editor on the consumer's code", () => {
  it("shows the config fields' docs from the installed declarations", () => {
    const project = consumer("NodeNext", "NodeNext");
    const main = join(project, "main.ts");
    const text = readFileSync(main, "utf8");
    const service = ts.createLanguageService({
      getCompilationSettings: () => ({
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        strict: true,
        types: ["node"],
      }),
      getScriptFileNames: () => [main],
      getScriptVersion: () => "1",
      getScriptSnapshot: (path) =>
        existsSync(path) ? ts.ScriptSnapshot.fromString(readFileSync(path, "utf8")) : undefined,
      getCurrentDirectory: () => project,
      getDefaultLibFileName: ts.getDefaultLibFilePath,
      fileExists: ts.sys.fileExists,
      readFile: ts.sys.readFile,
      readDirectory: ts.sys.readDirectory,
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
      realpath: ts.sys.realpath,
    });
    const hover = (word: string) => {
      const info = service.getQuickInfoAtPosition(main, text.indexOf(word));
      return ts.displayPartsToString(info?.documentation);
    };
    // A top-level field, and one of a technology's (through the interfaces' union).
    expect(hover("internetHosts")).toMatch(/DEFAULT_INTERNET_HOSTS/);
    expect(hover("routeType")).toMatch(/default route ranks/);
  }, 60_000);
});
