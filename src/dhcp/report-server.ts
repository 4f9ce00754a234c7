import type net from "node:net";
import { listenPrivateSocket, SocketServerError } from "../linux/private-socket.js";
import type { Logger } from "../log.js";
import { REPORTED_VARIABLES } from "./handler-script.js";

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
/** The handler forwards its named variables and at most one `opt<code>` per option code. */
export const MAX_ENV_ENTRIES = REPORTED_VARIABLES.length + 256;
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

/** Socket and registration errors of the report server. */
export { SocketServerError as ReportServerError };

/** Why a connection's line was refused; the text is sent back as `error <reason>`. */
export class ReportRejection extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "ReportRejection";
  }
}

export interface ReportMessage {
  token: string;
  event: string;
  env: Record<string, string>;
}

export async function createReportServer(options: ReportServerOptions): Promise<ReportServer> {
  const log = options.logger.child({ component: "dhcp-report-server" });
  const limits = {
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    readTimeoutMs: options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS,
  };
  const handlers = new Map<string, ReportHandler>();
  let closing: Promise<void> | undefined;
  const socket = await listenPrivateSocket({
    dir: options.dir,
    name: REPORT_SOCKET_NAME,
    logger: log,
    maxConnections: MAX_CONNECTIONS,
    onConnection: (connection) => void serveConnection(connection, { handlers, log, ...limits }),
  });
  const { path } = socket;
  log.debug({ path }, "listening for udhcpc reports");

  return {
    path,
    register(token, handler) {
      if (closing) throw new SocketServerError("report server is closed");
      if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
        throw new SocketServerError(`token must be 1..${MAX_TOKEN_LENGTH} characters`);
      }
      if (handlers.has(token)) throw new SocketServerError("token is already registered");
      handlers.set(token, handler);
      return () => {
        if (handlers.get(token) === handler) handlers.delete(token);
      };
    },
    close() {
      closing ??= (async () => {
        handlers.clear();
        await socket.close();
      })();
      return closing;
    },
  };
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
    message = parseReportLine(await readLine(socket, context));
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

/** One handler line; throws ReportRejection saying what is wrong, never naming the token. */
export function parseReportLine(line: string): ReportMessage {
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
