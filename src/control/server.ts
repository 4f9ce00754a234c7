import { chmod, chown, lstat } from "node:fs/promises";
import type net from "node:net";
import { StringDecoder } from "node:string_decoder";
import { ConfigError } from "../config/validate.js";
import { listenPrivateSocket, type PrivateSocket } from "../linux/private-socket.js";
import type { Logger } from "../log.js";
import { UnavailableRequestError } from "../technologies/interface-requests.js";
import {
  CONTROL_SOCKET_NAME,
  type ControlErrorCode,
  type ControlReply,
  type ControlRequest,
  parseControlRequest,
  READ_ONLY_COMMANDS,
  requestId,
} from "./protocol.js";

/**
 * The daemon's end of the control socket (`tmpDir/control/control.sock`, 0600
 * in a 0700 directory): the CLI's requests, answered in order. A bad request
 * gets an error reply and the connection stays usable; a line over the limit
 * ends the connection.
 *
 * With `controlGroup`, a second socket (`tmpDir/control-group/control.sock`,
 * 0660 in a 0750 directory, both of that group) lets the group's members read
 * (READ_ONLY_COMMANDS): `statenet status` for a monitoring agent that is not
 * root. Node cannot ask the kernel who is at the other end (SO_PEERCRED), but
 * it knows which socket a connection came in on: one of the private socket's
 * callers is the daemon's user or root, one of the group socket's may be
 * anybody of the group. So the group socket refuses every request that
 * changes something (`forbidden`), and never shows secrets.
 */

/** What a request may do beyond its reply: stream messages until the client hangs up. */
export interface ControlSession {
  push(message: object): void;
  onClose(cleanup: () => void): void;
  /** The caller is certainly root (see `onlyRootConnects`); false when that cannot be known. */
  readonly callerIsRoot: boolean;
  /** The connection came in on the `controlGroup` socket: requests that change are refused. */
  readonly readOnly: boolean;
}

/**
 * Whether every process that can connect to a socket with these file
 * attributes is root. Node cannot ask the kernel for the peer's uid
 * (SO_PEERCRED), but connect(2) on a UNIX socket needs write permission on
 * its file: with the file 0600 (and the directory 0700, see
 * private-socket.ts) only its owner gets in, and root, whom permissions do
 * not stop. So when the owner is root, every caller is root; when it is
 * another user, a caller is that user or root, and which one cannot be told:
 * then false, the safe answer.
 */
export function onlyRootConnects(file: { uid: number; mode: number }): boolean {
  return file.uid === 0 && (file.mode & 0o077) === 0;
}

export type ControlHandler = (
  request: ControlRequest,
  session: ControlSession,
) => Promise<unknown> | unknown;

export interface ControlServerOptions {
  dir: string;
  logger: Logger;
  handle: ControlHandler;
  maxLineBytes?: number;
  /** `controlGroup`: the group socket's directory and group (see above); none without. */
  group?: { dir: string; gid: number } | undefined;
}

export interface ControlServer extends PrivateSocket {
  /** The `controlGroup` socket, when there is one. */
  readonly groupPath: string | undefined;
}

/** A request to change, on the socket that only serves reading. */
export class ReadOnlySocketError extends Error {
  constructor(command: string) {
    super(
      `${command} changes the daemon: only root may ask, on the daemon's private socket; ` +
        `this socket (controlGroup) serves read-only requests: ${[...READ_ONLY_COMMANDS]
          .map((name) => name.replaceAll("_", " "))
          .join(", ")}`,
    );
    this.name = "ReadOnlySocketError";
  }
}

const DEFAULT_MAX_LINE_BYTES = 64 * 1024;
const MAX_CONNECTIONS = 16;

export async function createControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const log = options.logger.child({ component: "control-socket" });
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  // Read from the socket file once it has its mode; a connection in the moment
  // before gets false, so it is refused what needs root, never wrongly trusted.
  let callerIsRoot = false;
  const socket = await listenPrivateSocket({
    dir: options.dir,
    name: CONTROL_SOCKET_NAME,
    logger: log,
    maxConnections: MAX_CONNECTIONS,
    onConnection: (connection) =>
      serve(connection, options.handle, log, maxLineBytes, { callerIsRoot, readOnly: false }),
  });
  let groupSocket: PrivateSocket | undefined;
  try {
    callerIsRoot = onlyRootConnects(await lstat(socket.path));
    if (options.group) {
      groupSocket = await listenGroupSocket(options.group, options.handle, log, maxLineBytes);
    }
  } catch (error) {
    await socket.close();
    throw error;
  }
  return {
    path: socket.path,
    groupPath: groupSocket?.path,
    close: async () => {
      await Promise.all([socket.close(), groupSocket?.close()]);
    },
  };
}

/**
 * The read-only socket of `controlGroup`: made private first (no connection
 * is served before its file has its mode), then opened to the group. The
 * group's members could connect a moment before `callerIsRoot`-like checks
 * matter, but nothing here depends on who they are: every one of them is
 * served reading only.
 */
async function listenGroupSocket(
  group: { dir: string; gid: number },
  handle: ControlHandler,
  log: Logger,
  maxLineBytes: number,
): Promise<PrivateSocket> {
  const socket = await listenPrivateSocket({
    dir: group.dir,
    name: CONTROL_SOCKET_NAME,
    logger: log,
    maxConnections: MAX_CONNECTIONS,
    onConnection: (connection) =>
      serve(connection, handle, log, maxLineBytes, { callerIsRoot: false, readOnly: true }),
  });
  try {
    const uid = process.getuid?.() ?? 0;
    await chown(group.dir, uid, group.gid);
    await chmod(group.dir, 0o750);
    await chown(socket.path, uid, group.gid);
    await chmod(socket.path, 0o660);
  } catch (error) {
    await socket.close();
    throw error;
  }
  return socket;
}

function serve(
  socket: net.Socket,
  handle: ControlHandler,
  log: Logger,
  maxLineBytes: number,
  caller: { callerIsRoot: boolean; readOnly: boolean },
) {
  socket.on("error", (error) => log.debug({ err: error }, "control connection failed"));
  const decoder = new StringDecoder("utf8");
  let pending = "";
  // Replies go out in request order, even when a later request is answered sooner.
  let queue = Promise.resolve();
  const send = (message: Promise<object> | object) => {
    queue = queue.then(async () => {
      const text = JSON.stringify(await message);
      if (!socket.destroyed) socket.write(`${text}\n`);
    });
  };
  const cleanups: Array<() => void> = [];
  socket.once("close", () => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });
  const session: ControlSession = {
    ...caller,
    push: (message) => send(message),
    onClose: (cleanup) => {
      if (socket.destroyed) cleanup();
      else cleanups.push(cleanup);
    },
  };
  socket.on("data", (chunk: Buffer) => {
    pending += decoder.write(chunk);
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    if (Buffer.byteLength(pending) > maxLineBytes) {
      socket.end(
        `${JSON.stringify({ ok: false, error: `line longer than ${maxLineBytes} bytes` })}\n`,
      );
      socket.destroy();
      return;
    }
    for (const line of lines) {
      if (line.trim() === "") continue;
      // The reply's place comes first: anything the request pushes follows it.
      send(Promise.resolve().then(() => answer(line, handle, session, log)));
    }
  });
}

async function answer(
  line: string,
  handle: ControlHandler,
  session: ControlSession,
  log: Logger,
): Promise<ControlReply> {
  const id = requestId(line);
  const withId = id === undefined ? {} : { id };
  let request: ControlRequest;
  try {
    request = parseControlRequest(line);
  } catch (error) {
    return { ...withId, ok: false, error: (error as Error).message, code: "bad_request" };
  }
  const readOnly = READ_ONLY_COMMANDS.has(request.command);
  // A poller asks for status every few seconds: reading is worth a debug line, a change an info one.
  const logRequest = (readOnly ? log.debug : log.info).bind(log);
  try {
    if (session.readOnly && !readOnly) throw new ReadOnlySocketError(request.command);
    const result = await handle(request, session);
    logRequest(
      { command: request.command, ...("ifname" in request && { ifname: request.ifname }) },
      "control request",
    );
    return result === undefined ? { ...withId, ok: true } : { ...withId, ok: true, result };
  } catch (error) {
    log.warn(
      { command: request.command, error: (error as Error).message },
      "control request failed",
    );
    const code = failureCode(error);
    return { ...withId, ok: false, error: (error as Error).message, ...(code && { code }) };
  }
}

/**
 * A configuration that does not validate is the client's input; a request
 * nothing on the interface serves (`wifi_scan` of an Ethernet port) is the
 * client asking the wrong interface; anything else is the daemon's failure.
 */
function failureCode(error: unknown): Exclude<ControlErrorCode, "bad_request"> | undefined {
  if (error instanceof ConfigError) return "bad_input";
  if (error instanceof ReadOnlySocketError) return "forbidden";
  if (error instanceof UnavailableRequestError) return "unavailable";
  return undefined;
}
