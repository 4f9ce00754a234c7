import { chmod, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { controlRequest } from "../../src/control/client.js";
import { controlGroupId, gidInGroupFile } from "../../src/control/group.js";
import type { ControlRequest, PropertyEntry } from "../../src/control/protocol.js";
import { type ControlServer, createControlServer } from "../../src/control/server.js";
import { createLogger } from "../../src/log.js";
import { asUser, describeAsRoot, NOBODY } from "../support/root.js";
import { CLI_FROM_SOURCE } from "../support/statenet-cli.js";

/**
 * `controlGroup`: a second socket the group's members may use to read, and
 * the level each request is logged at. The connection's socket stands for
 * the peer's credentials (Node has no SO_PEERCRED): the group socket's
 * callers may be anybody of the group.
 */

let base: string;
let server: ControlServer;
let handled: ControlRequest[];
let logs: Array<{ level: number; msg: string; command?: string }>;

async function start(gid: number): Promise<ControlServer> {
  return createControlServer({
    dir: join(base, "control"),
    group: { dir: join(base, "control-group"), gid },
    logger: createLogger({
      level: "debug",
      destination: { write: (line: string) => logs.push(JSON.parse(line)) },
    }),
    handle: (request) => {
      handled.push(request);
      if (request.command === "get") {
        const entry: PropertyEntry = {
          key: request.key,
          value: "internet",
          timestamp: 1,
          ageMs: 5,
        };
        return [entry];
      }
      if (request.command === "configure") return { ifname: request.ifname, changed: true };
      return undefined;
    },
  });
}

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), "statenet-read-only-"));
  handled = [];
  logs = [];
});

afterEach(async () => {
  await server?.close();
  await rm(base, { recursive: true, force: true });
});

describe("the controlGroup socket", () => {
  it("is the group's, 0660 in a 0750 directory; the private one stays 0600", async () => {
    const gid = process.getgid?.() ?? 0;
    server = await start(gid);
    expect(server.groupPath).toBe(join(base, "control-group", "control.sock"));
    const group = await stat(server.groupPath as string);
    const dir = await stat(join(base, "control-group"));
    expect({ mode: group.mode & 0o777, gid: group.gid }).toEqual({ mode: 0o660, gid });
    expect({ mode: dir.mode & 0o777, gid: dir.gid }).toEqual({ mode: 0o750, gid });
    expect((await stat(server.path)).mode & 0o777).toBe(0o600);
  });

  it("serves reading, refuses changing with forbidden, and never asks the handler to change", async () => {
    server = await start(process.getgid?.() ?? 0);
    const groupPath = server.groupPath as string;
    expect(await controlRequest(groupPath, { command: "get", key: ["connection"] })).toEqual({
      ok: true,
      result: [{ key: ["connection"], value: "internet", timestamp: 1, ageMs: 5 }],
    });
    const refused = await controlRequest(groupPath, {
      command: "configure",
      ifname: "eth0",
      config: { type: "null" },
    });
    expect(refused).toMatchObject({ ok: false, code: "forbidden" });
    expect(refused.ok === false && refused.error).toMatch(
      /^configure changes the daemon: only root may ask/,
    );
    expect(handled.map((request) => request.command)).toEqual(["get"]);
    // The same request on the private socket is served.
    expect(
      await controlRequest(server.path, {
        command: "configure",
        ifname: "eth0",
        config: { type: "null" },
      }),
    ).toEqual({ ok: true, result: { ifname: "eth0", changed: true } });
  });

  it("logs a request that reads at debug, one that changes at info, and a refusal as a warning", async () => {
    server = await start(process.getgid?.() ?? 0);
    await controlRequest(server.path, { command: "get", key: ["connection"] });
    await controlRequest(server.path, { command: "status" });
    await controlRequest(server.path, { command: "configure", ifname: "eth0", config: {} });
    await controlRequest(server.groupPath as string, { command: "reload" });
    const requests = logs
      .filter((line) => line.command !== undefined)
      .map(({ level, msg, command }) => ({ level, msg, command }));
    expect(requests).toEqual([
      { level: 20, msg: "control request", command: "get" },
      { level: 20, msg: "control request", command: "status" },
      { level: 30, msg: "control request", command: "configure" },
      { level: 40, msg: "control request failed", command: "reload" },
    ]);
  });
});

describeAsRoot("the controlGroup socket, from a CLI run as another user", () => {
  // A user in the group, and one that is not: setpriv sets both ids and drops root's groups.
  const member = (gid: number, args: string[]) =>
    asUser(NOBODY, gid, [...CLI_FROM_SOURCE, ...args, "--socket", server.path], {
      env: { HOME: "/" },
    });

  beforeEach(async () => {
    await chmod(base, 0o755);
    server = await start(NOBODY);
  });

  it("a member reads through it, and is refused a change with a clear error and code", async () => {
    const read = await member(NOBODY, ["get", "connection"]);
    expect({ exitCode: read.exitCode, stdout: read.stdout, stderr: read.stderr }).toEqual({
      exitCode: 0,
      stdout: '"internet"',
      stderr: "",
    });
    const change = await member(NOBODY, ["reload", "--json"]);
    expect(change.exitCode).toBe(2);
    expect(JSON.parse(change.stdout)).toMatchObject({ ok: false, error: { code: "forbidden" } });
    expect(handled.map((request) => request.command)).toEqual(["get"]);
  }, 20_000);

  it("anybody else cannot connect at all", async () => {
    const outsider = await member(NOBODY - 1, ["get", "connection"]);
    expect(outsider.exitCode).toBe(1);
    expect(outsider.stderr).toMatch(/^statenet: cannot reach statenet at .*: EACCES/);
    expect(handled).toEqual([]);
  }, 20_000);
});

describe("controlGroup as a gid", () => {
  it("takes a number as it is and looks a name up in the group file", async () => {
    const file = "root:x:0:\nstatenet-ro:x:1234:alice,bob\nbroken:x:abc:\n";
    expect(gidInGroupFile(file, "statenet-ro")).toBe(1234);
    expect(gidInGroupFile(file, "statenet")).toBeUndefined();
    expect(gidInGroupFile(file, "broken")).toBeUndefined();
    expect(await controlGroupId(7)).toBe(7);
    const path = join(base, "group");
    await writeFile(path, file);
    expect(await controlGroupId("statenet-ro", path)).toBe(1234);
    await expect(controlGroupId("nobody-here", path)).rejects.toThrow(
      `controlGroup: no group nobody-here in ${path}`,
    );
  });
});
