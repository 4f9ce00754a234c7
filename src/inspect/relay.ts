import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";

/**
 * The inspection relay (`statenet inspect`, `statenet visualize`): a
 * WebSocket server on the loopback only that passes every message from the
 * daemon to every other client (the Stately inspector bridge, the local
 * visualizer). A client that connects late first gets the current picture:
 * every actor, each actor's latest snapshot, every property's value, the
 * recent warnings and errors, the recent events, then `@statenet.replayed`.
 * It never opens a browser.
 */

export interface RelayPage {
  type: string;
  /** The body, or the file it is read from at each request. */
  body?: string;
  file?: string;
}

export interface RelayOptions {
  /** 0 picks a free port. */
  port: number;
  /** Pages by path; a function of the relay's WebSocket URL. */
  pages?: (relayUrl: string) => Readonly<Record<string, RelayPage>>;
  /** Recent events replayed to new clients. */
  replay?: number;
}

export interface Relay {
  readonly url: string;
  readonly httpUrl: string;
  close(): Promise<void>;
}

const LOOPBACK = "127.0.0.1";

/** Another program (or another relay) listens on the port asked for. */
export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} on ${LOOPBACK} is in use`);
    this.name = "PortInUseError";
  }
}

/** Warnings and errors kept for a late client. */
const LOG_LIMIT = 100;
/** Sent to a new client after the current picture. */
const REPLAYED = JSON.stringify({ type: "@statenet.replayed" });

/** Appends `message`, dropping the oldest beyond `limit`. */
function keepLast(messages: string[], message: string, limit: number): void {
  messages.push(message);
  if (messages.length > limit) messages.shift();
}

/** What the relay keeps of the messages it passes on. */
class Picture {
  readonly #actors = new Map<string, string>();
  readonly #snapshots = new Map<string, string>();
  readonly #properties = new Map<string, string>();
  readonly #recent: string[] = [];
  /** Warnings and errors apart: the events' flood would push them out of `#recent`. */
  readonly #logs: string[] = [];
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  add(message: string): void {
    let parsed: {
      type?: unknown;
      sessionId?: unknown;
      key?: unknown;
      snapshot?: { status?: unknown };
    };
    try {
      parsed = JSON.parse(message) as typeof parsed;
    } catch {
      return;
    }
    const session = String(parsed.sessionId);
    if (parsed.type === "@xstate.actor") this.#actors.set(session, message);
    else if (parsed.type === "@xstate.snapshot" && parsed.snapshot?.status !== "active") {
      // An actor that ended is no part of the current picture (children come and go for ever).
      this.#actors.delete(session);
      this.#snapshots.delete(session);
    } else if (parsed.type === "@xstate.snapshot") this.#snapshots.set(session, message);
    else if (parsed.type === "@statenet.property")
      this.#properties.set(String(parsed.key), message);
    else if (parsed.type === "@statenet.log") keepLast(this.#logs, message, LOG_LIMIT);
    else keepLast(this.#recent, message, this.#limit);
  }

  messages(): string[] {
    return [
      ...this.#actors.values(),
      ...this.#snapshots.values(),
      ...this.#properties.values(),
      ...this.#logs,
      ...this.#recent,
    ];
  }
}

export async function startRelay(options: RelayOptions): Promise<Relay> {
  const picture = new Picture(options.replay ?? 500);
  let url = "";
  const server = http.createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://relay").pathname;
    const page = options.pages?.(url)[path];
    if (!page || request.method !== "GET") {
      response.writeHead(404).end();
      return;
    }
    const send = (body: string) => {
      response.writeHead(200, { "content-type": page.type, "cache-control": "no-store" });
      response.end(body);
    };
    if (page.body !== undefined) send(page.body);
    else if (page.file) {
      readFile(page.file, "utf8").then(send, () => response.writeHead(404).end());
    }
  });
  // Listening before the WebSocket server is attached: it re-emits the HTTP server's
  // errors as its own, and with no listener there an EADDRINUSE is an uncaught throw.
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, LOOPBACK, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new PortInUseError(options.port);
    }
    throw error;
  }
  const sockets = new WebSocketServer({ server });
  sockets.on("connection", (client) => {
    for (const message of picture.messages()) client.send(message);
    // The page knows the current picture is complete (it then picks what to show first).
    client.send(REPLAYED);
    client.on("message", (data) => {
      const message = data.toString();
      picture.add(message);
      for (const other of sockets.clients) {
        if (other !== client && other.readyState === WebSocket.OPEN) other.send(message);
      }
    });
  });
  const { port } = server.address() as AddressInfo;
  url = `ws://${LOOPBACK}:${port}`;
  return {
    url,
    httpUrl: `http://${LOOPBACK}:${port}/`,
    async close() {
      for (const client of sockets.clients) client.terminate();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
