import { createSocket, type Socket } from "node:dgram";

/**
 * The delay of a delayed lab link (lab/delayed-link.ts), run inside a lab
 * namespace: a UDP relay between the two socat ends of a TUN link. Every
 * datagram (one IP packet of the link) is held for DELAY_MS before it is passed
 * on, each way, in the order it came.
 *
 *   delay-relay DELAY_MS A_LISTEN A_PEER B_LISTEN B_PEER    (each ADDRESS:PORT)
 *
 * What arrives on A goes to B_PEER from B, and the other way round. Prints
 * "ready" once both sockets are bound; dies on SIGTERM.
 */

interface Endpoint {
  address: string;
  port: number;
}

/**
 * A FIFO with one timer for its head: the delay is the same for every
 * datagram, so the queue is in due order and nothing overtakes.
 */
class DelayLine {
  readonly #queue: Array<{ due: number; datagram: Buffer }> = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly delayMs: number,
    readonly deliver: (datagram: Buffer) => void,
  ) {}

  push(datagram: Buffer): void {
    this.#queue.push({ due: performance.now() + this.delayMs, datagram });
    if (this.#timer === undefined) this.#arm();
  }

  #arm(): void {
    const head = this.#queue[0];
    this.#timer =
      head === undefined
        ? undefined
        : setTimeout(() => this.#release(), Math.max(0, head.due - performance.now()));
  }

  #release(): void {
    const now = performance.now();
    while (this.#queue.length > 0 && (this.#queue[0]?.due ?? 0) <= now) {
      this.deliver((this.#queue.shift() as { datagram: Buffer }).datagram);
    }
    this.#arm();
  }
}

function endpoint(argument: string | undefined, name: string): Endpoint {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(argument ?? "");
  if (!match) throw new Error(`${name}: expected ADDRESS:PORT, got ${argument}`);
  return { address: match[1] as string, port: Number(match[2]) };
}

function bound(socket: Socket, at: Endpoint): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(at.port, at.address, () => {
      socket.off("error", reject);
      resolve();
    });
  });
}

async function main(argv: readonly string[]): Promise<void> {
  const delayMs = Number(argv[0]);
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error(`DELAY_MS: bad ${argv[0]}`);
  const [aListen, aPeer, bListen, bPeer] = ["A_LISTEN", "A_PEER", "B_LISTEN", "B_PEER"].map(
    (name, index) => endpoint(argv[index + 1], name),
  ) as [Endpoint, Endpoint, Endpoint, Endpoint];
  // A burst of full-size packets must not overflow the default 208 KB buffer.
  const a = createSocket({ type: "udp4", recvBufferSize: 1 << 21 });
  const b = createSocket({ type: "udp4", recvBufferSize: 1 << 21 });
  const towardB = new DelayLine(delayMs, (datagram) => b.send(datagram, bPeer.port, bPeer.address));
  const towardA = new DelayLine(delayMs, (datagram) => a.send(datagram, aPeer.port, aPeer.address));
  a.on("message", (datagram) => towardB.push(datagram));
  b.on("message", (datagram) => towardA.push(datagram));
  await Promise.all([bound(a, aListen), bound(b, bListen)]);
  // A send error (the peer's socket not there yet) drops that packet, as a link would.
  a.on("error", () => {});
  b.on("error", () => {});
  process.stdout.write("ready\n");
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`delay-relay: ${(error as Error).message}\n`);
  process.exit(2);
});
