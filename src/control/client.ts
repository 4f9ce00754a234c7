import net from "node:net";
import { StringDecoder } from "node:string_decoder";
import type { ControlReply, ControlRequest } from "./protocol.js";

export class ControlConnectionError extends Error {
  constructor(
    readonly path: string,
    reason: string,
    /** The system's error code (ENOENT, EACCES...), when the connection itself failed. */
    readonly code?: string,
  ) {
    super(`cannot reach statenet at ${path}: ${reason}`);
    this.name = "ControlConnectionError";
  }
}

export interface ControlStream {
  /** The reply to the request. */
  reply: Promise<ControlReply>;
  /** Ends when the daemon hangs up (or `close` is called). */
  closed: Promise<void>;
  close(): void;
}

/**
 * Sends one request; resolves `reply` with the first line and hands every
 * later line (a subscription's changes) to `onMessage`.
 */
export function controlStream(
  path: string,
  request: ControlRequest,
  onMessage: (message: unknown) => void = () => {},
  timeoutMs = 10_000,
): ControlStream {
  const socket = net.createConnection(path);
  const decoder = new StringDecoder("utf8");
  let pending = "";
  let replied = false;
  let settleReply: { resolve: (reply: ControlReply) => void; reject: (error: Error) => void };
  const reply = new Promise<ControlReply>((resolve, reject) => {
    settleReply = { resolve, reject };
  });
  const fail = (reason: string, code?: string) => {
    if (!replied) settleReply.reject(new ControlConnectionError(path, reason, code));
    replied = true;
    socket.destroy();
  };
  const timer = setTimeout(() => fail(`no reply within ${timeoutMs} ms`), timeoutMs);
  socket.once("connect", () => socket.write(`${JSON.stringify(request)}\n`));
  socket.on("data", (chunk: Buffer) => {
    pending += decoder.write(chunk);
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        fail("a reply is not JSON");
        return;
      }
      if (replied) {
        onMessage(message);
        continue;
      }
      replied = true;
      clearTimeout(timer);
      settleReply.resolve(message as ControlReply);
    }
  });
  socket.once("error", (error: NodeJS.ErrnoException) => {
    clearTimeout(timer);
    const hint =
      error.code === "ENOENT" || error.code === "ECONNREFUSED" ? " (is the daemon running?)" : "";
    fail(`${error.code ?? error.message}${hint}`, error.code);
  });
  const closed = new Promise<void>((resolve) =>
    socket.once("close", () => {
      clearTimeout(timer);
      if (!replied) fail("the daemon hung up");
      resolve();
    }),
  );
  return { reply, closed, close: () => socket.end() };
}

/** Sends one request to the daemon's control socket and resolves with its reply. */
export async function controlRequest(
  path: string,
  request: ControlRequest,
  timeoutMs = 10_000,
): Promise<ControlReply> {
  const stream = controlStream(path, request, () => {}, timeoutMs);
  try {
    return await stream.reply;
  } finally {
    stream.close();
  }
}
