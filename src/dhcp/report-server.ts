import { constants } from "node:fs";
import { chmod, lstat, mkdir, open, rm } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
import type { Logger } from "../log.js";

/**
 * The manager's end of the udhcpc handler: a UNIX stream socket that accepts
 * one JSON line per event from the handler script, hands it to whoever
 * registered the line's token, and answers once that handler is done, so that
 * udhcpc goes on only after the lease has been applied.
 *
 * Only the manager's user may connect: the socket (0600) lives in a directory
 * of mode 0700 owned by that user. The token additionally ties a report to the
 * udhcpc process it was given to, so a killed instance's late report is
 * refused.
 */

export const REPORT_SOCKET_NAME = "dhcp.sock";

/** One report is a few hundred bytes; anything near this is not from our handler. */
const DEFAULT_MAX_LINE_BYTES = 16 * 1024;
/** The handler writes its line right after connecting; a silent peer is not ours. */
const DEFAULT_READ_TIMEOUT_MS = 2_000;
/** Only a handful of interfaces run udhcpc; a flood must not exhaust descriptors. */
const MAX_CONNECTIONS = 64;
/** sockaddr_un.sun_path holds 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;
const MAX_ENV_ENTRIES = 64;
const MAX_TOKEN_LENGTH = 128;
const EVENT_NAME = /^[a-z]{1,32}$/;

/** `report` holds udhcpc's variables and `event`; the handler's promise settling is the reply. */
export type ReportHandler = (report: Record<string, string>, event: string) => Promise<void>;

export interface ReportServer {
  /** The socket path to give the handler (STATENET_DHCP_SOCKET). */
  readonly path: string;
  /** Routes reports carrying `token` to `handler`; returns the function that unregisters it. */
  register(token: string, handler: ReportHandler): () => void;
  /** Stops listening, drops open connections and removes the socket file. */
  close(): Promise<void>;
}

export interface ReportServerOptions {
  /** Private directory for the socket; created with mode 0700 (an existing one gets that mode). */
  dir: string;
  logger: Logger;
  maxLineBytes?: number;
  readTimeoutMs?: number;
}

export class PrivateDirectoryError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`refusing to use ${path} as a private directory: ${reason}`);
    this.name = "PrivateDirectoryError";
  }
}

export class ReportServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReportServerError";
  }
}

/** Why a connection's line was refused; the text is sent back as `error <reason>`. */
class ReportRejection extends Error {}

interface ReportMessage {
  token: string;
  event: string;
  env: Record<string, string>;
}

/**
 * Makes `dir` a directory only the current user can enter. Opened with
 * O_NOFOLLOW so a symbolic link planted at the path is refused rather than
 * followed, and the mode is fixed through that same descriptor.
 */
export async function ensurePrivateDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    // Something other than a directory is there: the open below says what.
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP") throw new PrivateDirectoryError(dir, "it is a symbolic link");
    if (code === "ENOTDIR") throw new PrivateDirectoryError(dir, "it is not a directory");
    throw error;
  }
  try {
    const stats = await handle.stat();
    const uid = process.getuid?.();
    if (uid !== undefined && stats.uid !== uid) {
      throw new PrivateDirectoryError(dir, `it is owned by uid ${stats.uid}, not ${uid}`);
    }
    if ((stats.mode & 0o777) !== 0o700) await handle.chmod(0o700);
  } finally {
    await handle.close();
  }
}

export async function createReportServer(options: ReportServerOptions): Promise<ReportServer> {
  const log = options.logger.child({ component: "dhcp-report-server" });
  const limits = {
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    readTimeoutMs: options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS,
  };
  await ensurePrivateDirectory(options.dir);
  const path = join(options.dir, REPORT_SOCKET_NAME);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new ReportServerError(
      `socket path ${path} is longer than ${MAX_SOCKET_PATH_BYTES} bytes`,
    );
  }
  await removeStaleSocket(path);

  const handlers = new Map<string, ReportHandler>();
  const connections = new Set<net.Socket>();
  // Until the socket file is 0600, a connection could come from anyone who can reach it.
  let accepting = false;
  let closing: Promise<void> | undefined;
  const server = net.createServer((socket) => {
    if (!accepting) {
      socket.destroy();
      return;
    }
    connections.add(socket);
    socket.once("close", () => connections.delete(socket));
    void serveConnection(socket, { handlers, log, ...limits });
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.on("error", (error) => log.error({ err: error }, "report socket failed"));
  await listen(server, path);
  await chmod(path, 0o600);
  accepting = true;
  log.debug({ path }, "listening for udhcpc reports");

  return {
    path,
    register(token, handler) {
      if (closing) throw new ReportServerError("report server is closed");
      if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
        throw new ReportServerError(`token must be 1..${MAX_TOKEN_LENGTH} characters`);
      }
      if (handlers.has(token)) throw new ReportServerError("token is already registered");
      handlers.set(token, handler);
      return () => {
        if (handlers.get(token) === handler) handlers.delete(token);
      };
    },
    close() {
      closing ??= (async () => {
        accepting = false;
        handlers.clear();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of connections) socket.destroy();
        await closed;
        await rm(path, { force: true });
      })();
      return closing;
    },
  };
}

/** A socket file left by a manager that died; one that still answers belongs to a live one. */
async function removeStaleSocket(path: string): Promise<void> {
  try {
    const stats = await lstat(path);
    if (!stats.isSocket()) throw new ReportServerError(`${path} exists and is not a socket`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if (await answers(path)) throw new ReportServerError(`another process is listening on ${path}`);
  await rm(path, { force: true });
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createConnection(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
}

function listen(server: net.Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

interface ConnectionContext {
  handlers: ReadonlyMap<string, ReportHandler>;
  log: Logger;
  maxLineBytes: number;
  readTimeoutMs: number;
}

async function serveConnection(socket: net.Socket, context: ConnectionContext): Promise<void> {
  const { log } = context;
  // A handler that gave up (its 5 s timeout) makes our late reply fail: nothing to do then.
  socket.on("error", (error) => log.debug({ err: error }, "report connection failed"));
  let message: ReportMessage;
  try {
    message = parseMessage(await readLine(socket, context));
  } catch (error) {
    log.warn({ reason: (error as Error).message }, "refused a malformed DHCP report");
    reply(socket, `error ${(error as Error).message}`, context);
    return;
  }
  const handler = context.handlers.get(message.token);
  if (!handler) {
    // Not logging the token: it is a credential, even a stale one.
    log.warn({ event: message.event }, "refused a DHCP report with an unknown token");
    reply(socket, "error unknown token", context);
    return;
  }
  const report = { ...message.env, event: message.event };
  try {
    await handler(report, message.event);
  } catch (error) {
    log.error({ err: error, event: message.event }, "handling a DHCP report failed");
  }
  reply(socket, "ok", context);
}

/** Answers and closes; a peer that does not hang up in time is cut off, so it cannot hold a slot. */
function reply(socket: net.Socket, text: string, context: ConnectionContext): void {
  const timer = setTimeout(() => socket.destroy(), context.readTimeoutMs);
  socket.once("close", () => clearTimeout(timer));
  socket.end(`${text}\n`);
}

/**
 * The first line, without its newline; rejects on oversize, timeout or a peer
 * that hangs up. The protocol is one line per connection: anything the peer
 * sends later is not our handler talking and cuts the connection.
 */
function readLine(socket: net.Socket, context: ConnectionContext): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error: Error | undefined, line?: string) => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
      socket.on("data", () => socket.destroy());
      if (error) reject(error);
      else resolve(line ?? "");
    };
    const onData = (chunk: Buffer) => {
      const newline = chunk.indexOf(0x0a);
      const part = newline === -1 ? chunk : chunk.subarray(0, newline);
      size += part.length;
      if (size > context.maxLineBytes) {
        finish(new ReportRejection(`report longer than ${context.maxLineBytes} bytes`));
        return;
      }
      chunks.push(part);
      if (newline !== -1) finish(undefined, Buffer.concat(chunks).toString("utf8"));
    };
    const onEnd = () => finish(new ReportRejection("connection closed before a full line"));
    const timer = setTimeout(
      () => finish(new ReportRejection(`no report within ${context.readTimeoutMs} ms`)),
      context.readTimeoutMs,
    );
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("close", onEnd);
  });
}

function parseMessage(line: string): ReportMessage {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ReportRejection("report is not JSON");
  }
  if (!isPlainObject(value)) throw new ReportRejection("report is not a JSON object");
  const { token, event, env } = value;
  if (typeof token !== "string" || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    throw new ReportRejection("report has no valid token");
  }
  if (typeof event !== "string" || !EVENT_NAME.test(event)) {
    throw new ReportRejection("report has no valid event name");
  }
  return { token, event, env: parseEnv(env) };
}

function parseEnv(env: unknown): Record<string, string> {
  if (!isPlainObject(env)) throw new ReportRejection("report env is not an object");
  const entries = Object.entries(env);
  if (entries.length > MAX_ENV_ENTRIES)
    throw new ReportRejection("report env has too many entries");
  // The names are untrusted: they stay out of the reply, which must remain one line.
  if (entries.some(([, value]) => typeof value !== "string")) {
    throw new ReportRejection("report env has a value that is not a string");
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
