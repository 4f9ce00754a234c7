import http from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";

/**
 * The inspection relay (`statenet inspect`): a WebSocket server on the
 * loopback only that passes every message from the daemon to every other
 * client (the Stately inspector bridge, the local visualizer), replaying
 * the recent ones to a client that connects late. It never opens a browser.
 */

export interface RelayOptions {
  /** 0 picks a free port. */
  port: number;
  /** The page served at `/`. */
  page?: (relayUrl: string) => string;
  /** Recent messages replayed to new clients. */
  replay?: number;
}

export interface Relay {
  readonly url: string;
  readonly httpUrl: string;
  close(): Promise<void>;
}

const LOOPBACK = "127.0.0.1";

export async function startRelay(options: RelayOptions): Promise<Relay> {
  const recent: string[] = [];
  const limit = options.replay ?? 1_000;
  let url = "";
  const server = http.createServer((request, response) => {
    if (request.url === "/" && options.page) {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      response.end(options.page(url));
      return;
    }
    response.writeHead(404).end();
  });
  const sockets = new WebSocketServer({ server });
  sockets.on("connection", (client) => {
    for (const message of recent) client.send(message);
    client.on("message", (data) => {
      const message = data.toString();
      recent.push(message);
      if (recent.length > limit) recent.shift();
      for (const other of sockets.clients) {
        if (other !== client && other.readyState === WebSocket.OPEN) other.send(message);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, LOOPBACK, () => resolve());
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
