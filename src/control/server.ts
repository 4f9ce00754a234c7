import { lstat } from "node:fs/promises";
import type net from "node:net";
import { StringDecoder } from "node:string_decoder";
import { ConfigError } from "../config/validate.js";
import { listenPrivateSocket, type PrivateSocket } from "../linux/private-socket.js";
import type { Logger } from "../log.js";
import { UnavailableRequestError } from "../technologies/interface-requests.js";
import {
  CONTROL_SOCKET_NAME,
  type ControlReply,
  type ControlRequest,
  parseControlRequest,
  requestId,
} from "./protocol.js";

/**
 * The daemon's end of the control socket (`tmpDir/control.sock`, 0600 in a
 * 0700 directory): the CLI's requests, answered in order. A bad request gets
 * an error reply and the connection stays usable; a line over the limit ends
 * the connection.
 */

/** What a request may do beyond its reply: stream messages until the client hangs up. */
export interface ControlSession {
  push(message: object): void;
  onClose(cleanup: () => void): void;
  /** The caller is certainly root (see `onlyRootConnects`); false when that cannot be known. */
  readonly callerIsRoot: boolean;
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
}

const DEFAULT_MAX_LINE_BYTES = 64 * 1024;
const MAX_CONNECTIONS = 16;

export async function createControlServer(options: ControlServerOptions): Promise<PrivateSocket> {
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
      serve(connection, options.handle, log, maxLineBytes, callerIsRoot),
  });
  try {
    callerIsRoot = onlyRootConnects(await lstat(socket.path));
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
  callerIsRoot: boolean,
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
    callerIsRoot,
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
  try {
    const result = await handle(request, session);
    log.info({ command: request.command }, "control request");
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
function failureCode(error: unknown): "bad_input" | "unavailable" | undefined {
  if (error instanceof ConfigError) return "bad_input";
  if (error instanceof UnavailableRequestError) return "unavailable";
  return undefined;
}
