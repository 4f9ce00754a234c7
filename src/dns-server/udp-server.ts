import { createSocket, type Socket } from "node:dgram";
import { type DnsZone, respond } from "./responder.js";

/**
 * The DNS server's socket: UDP on one address and port, each datagram
 * answered by `respond` (pure) and sent back to where it came from. It runs
 * in the manager's process (in-process-dnsd.ts) or in the DNS server's own
 * (dnsd-main.ts), which a manager driving a namespace from outside starts there.
 */

export interface DnsUdpServerOptions {
  /** The interface's own address: the server answers only there. */
  address: string;
  port: number;
  zone: DnsZone;
  /** Problems worth a line of the daemon's output; never the queries themselves. */
  warn?: (message: string) => void;
}

export interface DnsUdpServer {
  /** The port it listens on (the one asked for, or the kernel's pick for 0). */
  readonly port: number;
  close(): Promise<void>;
}

/** Resolves once it listens; rejects when the address cannot be bound (EADDRNOTAVAIL, EACCES, EADDRINUSE). */
export function startDnsUdpServer(options: DnsUdpServerOptions): Promise<DnsUdpServer> {
  const { address, port, zone } = options;
  const warn = options.warn ?? (() => {});
  const socket: Socket = createSocket({ type: "udp4" });
  socket.on("message", (query, peer) => {
    let response: Buffer | undefined;
    try {
      response = respond(query, zone);
    } catch (error) {
      // respond is total on every input; a bug must not end the server.
      warn(`could not answer a query from ${peer.address}: ${(error as Error).message}`);
      return;
    }
    if (!response) return;
    socket.send(response, peer.port, peer.address, (error) => {
      if (error) warn(`could not answer ${peer.address}:${peer.port}: ${error.message}`);
    });
  });
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => {
      socket.close();
      reject(error);
    };
    socket.once("error", failed);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off("error", failed);
      // A send or receive error (ICMP unreachable of a client gone) is no reason to stop.
      socket.on("error", (error) => warn(`socket: ${error.message}`));
      resolve({
        port: socket.address().port,
        close: () => new Promise((done) => socket.close(() => done())),
      });
    });
  });
}
