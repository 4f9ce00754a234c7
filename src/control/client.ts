import net from "node:net";
import type { ControlReply, ControlRequest } from "./protocol.js";

export class ControlConnectionError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`cannot reach statenet at ${path}: ${reason}`);
    this.name = "ControlConnectionError";
  }
}

/** Sends one request to the daemon's control socket and resolves with its reply. */
export function controlRequest(
  path: string,
  request: ControlRequest,
  timeoutMs = 10_000,
): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(path);
    let received = "";
    const fail = (reason: string) => {
      socket.destroy();
      reject(new ControlConnectionError(path, reason));
    };
    const timer = setTimeout(() => fail(`no reply within ${timeoutMs} ms`), timeoutMs);
    socket.once("connect", () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("utf8");
      const newline = received.indexOf("\n");
      if (newline === -1) return;
      clearTimeout(timer);
      socket.end();
      try {
        resolve(JSON.parse(received.slice(0, newline)) as ControlReply);
      } catch {
        reject(new ControlConnectionError(path, "the reply is not JSON"));
      }
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const hint =
        error.code === "ENOENT" || error.code === "ECONNREFUSED" ? " (is the daemon running?)" : "";
      fail(`${error.code ?? error.message}${hint}`);
    });
  });
}
