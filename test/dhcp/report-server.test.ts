import { execFile, spawn } from "node:child_process";
import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  HANDLER_SCRIPT_NAME,
  handlerWrapper,
  installHandler,
  REPORTED_VARIABLES,
  shellQuote,
} from "../../src/dhcp/handler-script.js";
import {
  createReportServer,
  MAX_ENV_ENTRIES,
  parseReportLine,
  ReportRejection,
  type ReportServer,
  ReportServerError,
} from "../../src/dhcp/report-server.js";
import { PrivateDirectoryError } from "../../src/linux/private-socket.js";
import { captureLogs } from "../support/capture-logs.js";
import { isRoot } from "../support/root.js";

let base: string;
let counter = 0;
const servers: ReportServer[] = [];

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "statenet-report-test-"));
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

function freshDir(): string {
  counter += 1;
  return join(base, `d${counter}`);
}

async function startServer(options: { readTimeoutMs?: number } = {}) {
  const { lines, logger } = captureLogs();
  const dir = freshDir();
  const server = await createReportServer({ dir, logger, ...options });
  servers.push(server);
  return { server, dir, logs: lines };
}

/** Sends raw bytes and collects everything the server says until it closes the connection. */
function converse(path: string, payload: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(path);
    let reply = "";
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(payload));
    socket.on("data", (chunk) => {
      reply += chunk;
    });
    // The server may close while we still write an oversize line.
    socket.on("error", (error: NodeJS.ErrnoException) =>
      error.code === "EPIPE" || error.code === "ECONNRESET" ? resolve(reply) : reject(error),
    );
    socket.on("close", () => resolve(reply));
  });
}

/** A process that listens on `path` and is then SIGKILLed, so nothing removes the file. */
async function leaveStaleSocket(path: string): Promise<void> {
  const script = `require("net").createServer().listen(${JSON.stringify(path)}, () => console.log("up"))`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve) => child.stdout.once("data", resolve));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

const report = (token: string, event = "bound", env: Record<string, string> = {}) =>
  `${JSON.stringify({ token, event, env: { interface: "eth0", ip: "192.0.2.100", ...env } })}\n`;

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe("report server", () => {
  it("keeps its socket (0600) in a directory only its user can enter (0700)", async () => {
    const { server, dir } = await startServer();
    expect(await mode(dir)).toBe(0o700);
    expect(server.path).toBe(join(dir, "dhcp.sock"));
    expect((await lstat(server.path)).isSocket()).toBe(true);
    expect(await mode(server.path)).toBe(0o600);
  });

  it("tightens the mode of an existing directory", async () => {
    const dir = freshDir();
    await mkdir(dir, { mode: 0o755 });
    await chmod(dir, 0o777);
    const server = await createReportServer({ dir, logger: captureLogs().logger });
    servers.push(server);
    expect(await mode(dir)).toBe(0o700);
  });

  it("refuses a directory that is a symbolic link", async () => {
    const target = freshDir();
    await mkdir(target, { mode: 0o700 });
    const link = freshDir();
    await symlink(target, link);
    await expect(createReportServer({ dir: link, logger: captureLogs().logger })).rejects.toThrow(
      PrivateDirectoryError,
    );
  });

  it("refuses a path that is a file", async () => {
    const file = freshDir();
    await writeFile(file, "");
    await expect(createReportServer({ dir: file, logger: captureLogs().logger })).rejects.toThrow(
      PrivateDirectoryError,
    );
  });

  it.runIf(isRoot)("refuses a directory owned by another user", async () => {
    const dir = freshDir();
    await mkdir(dir, { mode: 0o700 });
    await chown(dir, 65534, 65534);
    await expect(createReportServer({ dir, logger: captureLogs().logger })).rejects.toThrow(
      /owned by uid 65534/,
    );
  });

  it("replaces a stale socket but not one a live server listens on", async () => {
    const { server, dir } = await startServer();
    await expect(createReportServer({ dir, logger: captureLogs().logger })).rejects.toThrow(
      /another process is listening/,
    );
    // A manager that died leaves its socket file behind.
    const stale = freshDir();
    await mkdir(stale, { mode: 0o700 });
    await leaveStaleSocket(join(stale, "dhcp.sock"));
    expect((await lstat(join(stale, "dhcp.sock"))).isSocket()).toBe(true);
    const replacement = await createReportServer({ dir: stale, logger: captureLogs().logger });
    servers.push(replacement);
    expect(await converse(replacement.path, report("nobody"))).toBe("error unknown token\n");
    expect(server.path).not.toBe(replacement.path);
  });

  it("refuses a socket path occupied by something else", async () => {
    const dir = freshDir();
    await mkdir(dir, { mode: 0o700 });
    await writeFile(join(dir, "dhcp.sock"), "");
    await expect(createReportServer({ dir, logger: captureLogs().logger })).rejects.toThrow(
      ReportServerError,
    );
  });

  it("hands a report to its token's handler and answers once the handler is done", async () => {
    const { server } = await startServer();
    const seen: Array<{ report: Record<string, string>; event: string }> = [];
    let finish = () => {};
    server.register("t1", async (received, event) => {
      seen.push({ report: received, event });
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
    });
    let answered = false;
    const reply = converse(server.path, report("t1", "bound", { router: "192.0.2.1" })).then(
      (text) => {
        answered = true;
        return text;
      },
    );
    await expect.poll(() => seen.length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(false);
    finish();
    expect(await reply).toBe("ok\n");
    expect(seen[0]).toEqual({
      event: "bound",
      report: { event: "bound", interface: "eth0", ip: "192.0.2.100", router: "192.0.2.1" },
    });
  });

  it("does not let the env override the event name", async () => {
    const { server } = await startServer();
    const events: string[] = [];
    server.register("t", async (received) => {
      events.push(received.event ?? "");
    });
    await converse(server.path, report("t", "deconfig", { event: "bound" }));
    expect(events).toEqual(["deconfig"]);
  });

  it("answers ok and logs when the handler fails", async () => {
    const { server, logs } = await startServer();
    server.register("t", async () => {
      throw new Error("ip failed");
    });
    expect(await converse(server.path, report("t"))).toBe("ok\n");
    expect(logs.some((line) => line.msg === "handling a DHCP report failed")).toBe(true);
  });

  it("refuses an unknown token without calling any handler", async () => {
    const { server, logs } = await startServer();
    let calls = 0;
    server.register("right", async () => {
      calls += 1;
    });
    expect(await converse(server.path, report("wrong"))).toBe("error unknown token\n");
    expect(calls).toBe(0);
    const warning = logs.find((line) => line.msg?.toString().includes("unknown token"));
    expect(warning).toBeDefined();
    expect(JSON.stringify(warning)).not.toContain("wrong");
  });

  it("refuses a token once it is unregistered", async () => {
    const { server } = await startServer();
    const unregister = server.register("t", async () => {});
    expect(await converse(server.path, report("t"))).toBe("ok\n");
    unregister();
    expect(await converse(server.path, report("t"))).toBe("error unknown token\n");
    expect(() => server.register("t", async () => {})).not.toThrow();
    expect(() => server.register("t", async () => {})).toThrow(ReportServerError);
  });

  it.each([
    ["not JSON", "{token: t}\n", /not JSON/],
    ["an array", "[1,2]\n", /not a JSON object/],
    ["no token", `${JSON.stringify({ event: "bound", env: {} })}\n`, /token/],
    ["a bad event name", `${JSON.stringify({ token: "t", event: "x\ny", env: {} })}\n`, /event/],
    ["env not an object", `${JSON.stringify({ token: "t", event: "bound", env: "x" })}\n`, /env/],
    [
      "a non-string env value",
      `${JSON.stringify({ token: "t", event: "bound", env: { ip: 1 } })}\n`,
      /env/,
    ],
  ])("logs and closes a connection that sends %s, and keeps serving", async (_what, line, why) => {
    const { server, logs } = await startServer();
    let calls = 0;
    server.register("t", async () => {
      calls += 1;
    });
    const reply = await converse(server.path, line);
    expect(reply).toMatch(/^error /);
    expect(reply).toMatch(why);
    expect(reply.indexOf("\n")).toBe(reply.length - 1);
    expect(logs.some((entry) => entry.msg === "refused a malformed DHCP report")).toBe(true);
    expect(calls).toBe(0);
    expect(await converse(server.path, report("t"))).toBe("ok\n");
    expect(calls).toBe(1);
  });

  it.each([64 * 1024, 4 * 1024 * 1024])(
    "cuts off a %d-byte line without reading it all, and keeps serving",
    async (size) => {
      const { server, logs } = await startServer();
      server.register("t", async () => {});
      const reply = await converse(server.path, Buffer.alloc(size, "a"));
      expect(reply).toBe("error report longer than 16384 bytes\n");
      expect(logs.some((entry) => entry.msg === "refused a malformed DHCP report")).toBe(true);
      expect(await converse(server.path, report("t"))).toBe("ok\n");
    },
  );

  it("closes a connection that says nothing", async () => {
    const { server, logs } = await startServer({ readTimeoutMs: 100 });
    const started = Date.now();
    const reply = await new Promise<string>((resolve) => {
      const socket = net.createConnection(server.path);
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk;
      });
      socket.on("close", () => resolve(text));
    });
    expect(reply).toMatch(/no report within 100 ms/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(logs.some((entry) => entry.msg === "refused a malformed DHCP report")).toBe(true);
  });

  it("serves concurrent clients, each with its own handler running at the same time", async () => {
    const { server } = await startServer();
    let running = 0;
    let most = 0;
    const seen = new Map<string, string>();
    for (let i = 0; i < 20; i += 1) {
      server.register(`t${i}`, async (received) => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 30));
        seen.set(`t${i}`, received.ip ?? "");
        running -= 1;
      });
    }
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        converse(server.path, report(`t${i}`, "bound", { ip: `192.0.2.${100 + i}` })),
      ),
    );
    expect(replies).toEqual(Array(20).fill("ok\n"));
    expect(most).toBeGreaterThan(1);
    for (let i = 0; i < 20; i += 1) expect(seen.get(`t${i}`)).toBe(`192.0.2.${100 + i}`);
  });

  it("closes: drops open connections, removes the socket and refuses new tokens", async () => {
    const { server } = await startServer();
    server.register("t", () => new Promise(() => {}));
    const pending = converse(server.path, report("t"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await server.close();
    expect(await pending).toBe("");
    await expect(lstat(server.path)).rejects.toThrow(/ENOENT/);
    await expect(converse(server.path, report("t"))).rejects.toThrow(/ENOENT/);
    expect(() => server.register("u", async () => {})).toThrow(ReportServerError);
    await server.close();
  });
});

interface HandlerRun {
  code: number | null;
  stderr: string;
  ms: number;
}

function runHandler(wrapper: string, env: Record<string, string>, event = "bound") {
  const started = Date.now();
  return new Promise<HandlerRun>((resolve) => {
    execFile(wrapper, [event], { env }, (error, _stdout, stderr) => {
      resolve({ code: error ? (error.code as number) : 0, stderr, ms: Date.now() - started });
    });
  });
}

describe("a report line's variables", () => {
  const line = (count: number) =>
    JSON.stringify({
      token: "tok",
      event: "bound",
      env: Object.fromEntries(Array.from({ length: count }, (_, index) => [`v${index}`, "x"])),
    });

  it("may be all the handler can forward: every named variable and every option code", () => {
    expect(REPORTED_VARIABLES.length + 254).toBeLessThanOrEqual(MAX_ENV_ENTRIES);
    expect(Object.keys(parseReportLine(line(MAX_ENV_ENTRIES)).env)).toHaveLength(MAX_ENV_ENTRIES);
  });

  it("are refused beyond that", () => {
    expect(() => parseReportLine(line(MAX_ENV_ENTRIES + 1))).toThrow(ReportRejection);
  });
});

describe("udhcpc handler script", () => {
  const udhcpcEnv = {
    interface: "eth0",
    ip: "192.0.2.120",
    mask: "24",
    subnet: "255.255.255.0",
    router: "192.0.2.1",
    dns: "192.0.2.1",
    lease: "3600",
    serverid: "192.0.2.1",
    opt53: "05",
    siaddr: "192.0.2.1",
  };

  it("is installed privately: wrapper 0700, script 0600, directory 0700", async () => {
    const dir = freshDir();
    const wrapper = await installHandler(dir);
    expect(await mode(dir)).toBe(0o700);
    expect(await mode(wrapper)).toBe(0o700);
    expect(await mode(join(dir, HANDLER_SCRIPT_NAME))).toBe(0o600);
    // Installing again replaces the files in place.
    expect(await installHandler(dir)).toBe(wrapper);
  });

  it("quotes paths for sh", () => {
    expect(shellQuote("/a b/it's")).toBe(`'/a b/it'\\''s'`);
    expect(handlerWrapper("/usr/bin/node", "/x/$(reboot)")).toContain(`'/x/$(reboot)'`);
    expect(() => shellQuote("a\0b")).toThrow(TypeError);
  });

  it("reports the event and udhcpc's lease and option variables, nothing else, and exits 0 on ok", async () => {
    const { server } = await startServer();
    // A directory name sh would split or expand if it were not quoted.
    const wrapper = await installHandler(join(freshDir(), "it's $HOME"));
    const seen: Array<Record<string, string>> = [];
    server.register("tok", async (received) => {
      seen.push(received);
    });
    // Options udhcpc has a name for, and one it has not (in hex).
    const options = { ntpsrv: "192.0.2.1", search: "lab.test", opt224: "0102ab" };
    const run = await runHandler(wrapper, {
      ...udhcpcEnv,
      ...options,
      PATH: process.env.PATH ?? "",
      SECRET_OF_THE_MANAGER: "do-not-leak",
      option: "not udhcpc's",
      opt1234: "not an option code",
      STATENET_DHCP_SOCKET: server.path,
      STATENET_DHCP_TOKEN: "tok",
    });
    expect(run).toMatchObject({ code: 0, stderr: "" });
    console.log(`handler round trip: ${run.ms} ms`);
    const { siaddr: _siaddr, ...forwarded } = udhcpcEnv;
    expect(seen).toEqual([{ ...forwarded, ...options, event: "bound" }]);
  });

  it("exits 0 and says why when the token is wrong", async () => {
    const { server } = await startServer();
    const wrapper = await installHandler(freshDir());
    let calls = 0;
    server.register("right", async () => {
      calls += 1;
    });
    const run = await runHandler(wrapper, {
      ...udhcpcEnv,
      STATENET_DHCP_SOCKET: server.path,
      STATENET_DHCP_TOKEN: "wrong",
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/manager refused bound: error unknown token/);
    expect(calls).toBe(0);
  });

  it("exits 0 and says why when no manager listens", async () => {
    const wrapper = await installHandler(freshDir());
    const run = await runHandler(wrapper, {
      ...udhcpcEnv,
      STATENET_DHCP_SOCKET: join(base, "nothing-here.sock"),
      STATENET_DHCP_TOKEN: "t",
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/ENOENT/);
    const missing = await runHandler(wrapper, udhcpcEnv);
    expect(missing.stderr).toMatch(/missing socket, token or event/);
  });

  it("gives up after 5 s when the manager does not answer", async () => {
    const { server } = await startServer();
    const wrapper = await installHandler(freshDir());
    server.register("t", () => new Promise(() => {}));
    const run = await runHandler(wrapper, {
      ...udhcpcEnv,
      STATENET_DHCP_SOCKET: server.path,
      STATENET_DHCP_TOKEN: "t",
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/no reply from the manager within 5000 ms/);
    expect(run.ms).toBeGreaterThanOrEqual(5_000);
    expect(run.ms).toBeLessThan(7_000);
  }, 15_000);
});
