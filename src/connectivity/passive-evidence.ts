import { isIP, SocketAddress } from "node:net";
import type { CommandRunner } from "../linux/command-runner.js";

/**
 * Passive evidence of connectivity: the kernel's TCP counters (`ss -tin`) of
 * the device's own connections, IPv4 and IPv6. Data flowing both ways to an
 * off-link host proves the uplink works without sending a probe; a
 * connection that only retransmits is a hint to check now.
 */

export interface TcpSocketInfo {
  /** `address:port` of this end, IPv4-mapped IPv6 addresses reduced to IPv4. */
  local: string;
  /** `address:port` of the peer. */
  remote: string;
  bytesSent?: number;
  bytesReceived?: number;
  bytesAcked?: number;
  /** Total retransmitted segments over the connection's life (`retrans:cur/total`). */
  retrans?: number;
  lastRcvMs?: number;
  lastSndMs?: number;
}

export type TrafficEvidence = "seen" | "stalled" | "none";

/** `ss` fields we read from the info line, and where they go. */
const COUNTERS = {
  bytes_sent: "bytesSent",
  bytes_received: "bytesReceived",
  bytes_acked: "bytesAcked",
  lastrcv: "lastRcvMs",
  lastsnd: "lastSndMs",
} as const;

/** `[::ffff:192.0.2.10]:5000` or `192.0.2.10%eth0:5000` → `192.0.2.10:5000`. */
function normalizeEndpoint(endpoint: string): string {
  const colon = endpoint.lastIndexOf(":");
  if (colon < 0) return endpoint;
  let host = endpoint.slice(0, colon);
  const port = endpoint.slice(colon + 1);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  host = host.replace(/^::ffff:/i, "").replace(/%.*$/, "");
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The address part of an endpoint that `parseSsTcp` produced. */
export function endpointAddress(endpoint: string): string {
  const colon = endpoint.lastIndexOf(":");
  const host = colon < 0 ? endpoint : endpoint.slice(0, colon);
  return host.startsWith("[") ? host.slice(1, -1) : host;
}

/**
 * A socket line: `[State] Recv-Q Send-Q Local Peer [Process]`. The state
 * column is missing when a `state` filter is given, so find the two queue
 * counters instead of counting columns.
 */
function parseSocketLine(line: string): TcpSocketInfo | undefined {
  const fields = line.trim().split(/\s+/);
  const queues = /^\d+$/.test(fields[0] ?? "") ? 0 : 1;
  const local = fields[queues + 2];
  const remote = fields[queues + 3];
  if (!/^\d+$/.test(fields[queues + 1] ?? "") || !local || !remote) return undefined;
  return { local: normalizeEndpoint(local), remote: normalizeEndpoint(remote) };
}

/** Reads `name:value` counters of the indented info line into the socket. */
function applyInfoLine(socket: TcpSocketInfo, line: string): void {
  for (const token of line.trim().split(/\s+/)) {
    const colon = token.indexOf(":");
    if (colon < 0) continue;
    const name = token.slice(0, colon);
    const value = token.slice(colon + 1);
    if (name === "retrans") {
      // `retrans:1/4`: retransmits outstanding now / in total; only the total grows steadily.
      const total = counter(value.split("/").at(-1));
      if (total !== undefined) socket.retrans = total;
    } else if (Object.hasOwn(COUNTERS, name)) {
      const number = counter(value);
      if (number !== undefined) socket[COUNTERS[name as keyof typeof COUNTERS]] = number;
    }
  }
}

/** ss prints counters as unsigned decimals; `-1`, `0x10` or an empty value is not one. */
function counter(text: string | undefined): number | undefined {
  const value = text !== undefined && /^\d+$/.test(text) ? Number(text) : Number.NaN;
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * Parses `ss -t -i -n -H [state established]`: each socket is one line,
 * followed by an indented line of counters.
 */
export function parseSsTcp(text: string): TcpSocketInfo[] {
  const sockets: TcpSocketInfo[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const last = sockets.at(-1);
    if (/^\s/.test(line)) {
      if (last) applyInfoLine(last, line);
      continue;
    }
    const socket = parseSocketLine(line);
    if (socket) sockets.push(socket);
  }
  return sockets;
}

const grew = (now: number | undefined, before: number | undefined) => (now ?? 0) > (before ?? 0);

/** One spelling per IPv6 address (`2001:db8:0::10` is `2001:db8::10`); anything else as it is. */
function canonicalAddress(address: string): string {
  return isIP(address) === 6 ? new SocketAddress({ address, family: "ipv6" }).address : address;
}

/**
 * Compares two readings for the interface with `sourceAddress` (IPv4 or IPv6):
 * - "seen": a socket from that address to an off-link host has both sent and
 *   received new bytes;
 * - "stalled": none has, but one retransmitted while receiving nothing;
 * - "none": no such socket moved.
 * A socket missing from `previous` is new: everything it counted happened since.
 */
export function trafficEvidence(
  previous: readonly TcpSocketInfo[],
  current: readonly TcpSocketInfo[],
  sourceAddress: string,
  isOffLink: (remote: string) => boolean,
): TrafficEvidence {
  const before = new Map(previous.map((socket) => [`${socket.local} ${socket.remote}`, socket]));
  const source = canonicalAddress(sourceAddress);
  let stalled = false;
  for (const socket of current) {
    if (canonicalAddress(endpointAddress(socket.local)) !== source) continue;
    if (!isOffLink(endpointAddress(socket.remote))) continue;
    const old = before.get(`${socket.local} ${socket.remote}`);
    const received = grew(socket.bytesReceived, old?.bytesReceived);
    if (received && grew(socket.bytesSent, old?.bytesSent)) return "seen";
    if (!received && grew(socket.retrans, old?.retrans)) stalled = true;
  }
  return stalled ? "stalled" : "none";
}

/** Reads the established TCP sockets of the runner's namespace. */
export async function readTcpSockets(
  runner: CommandRunner,
  signal?: AbortSignal,
): Promise<TcpSocketInfo[]> {
  const { stdout } = await runner.run("ss", ["-t", "-i", "-n", "-H", "state", "established"], {
    signal,
    timeoutMs: 5_000,
  });
  return parseSsTcp(stdout);
}
