import { execFile } from "node:child_process";
import { Resolver } from "node:dns/promises";
import { isIP, Socket } from "node:net";
import type { ProbeResult } from "../../machines/connectivity-checker.js";
import { assertLabAddress, assertLabProbeRequest } from "./lab-address-guard.js";

/**
 * The Internet check: TCP connects to a few hosts, bound to the interface's
 * own address so that policy routing (`ip rule from <addr>`) sends them out of
 * that interface. Any host answering, even with a reset, proves the path.
 */

export interface ProbeTarget {
  /** An IPv4 literal or a DNS name. */
  host: string;
  port: number;
}

export interface ProbeRequest {
  sourceAddress: string;
  /**
   * The interface the probe must leave by. When given, the kernel is asked
   * first which way a packet from `sourceAddress` goes: until the policy
   * rules for a new address are in place it goes out of another uplink, and
   * an answer would vouch for the wrong interface.
   */
  ifname?: string;
  /** The interface's own DNS servers; names are resolved through them only. */
  nameServers: readonly string[];
  targets: readonly ProbeTarget[];
  /**
   * How long a name's resolution, and then a connect, may wait for an
   * answer: network time only; the local check of the way out has its own.
   */
  timeoutMs: number;
}

type Outcome =
  | { reachable: true; how: "connected" | "refused"; address: string; ms: number }
  | { reachable: false; reason: string };

const label = (target: ProbeTarget) => `${target.host}:${target.port}`;

const round = (ms: number) => Math.round(ms * 10) / 10;

function errorCode(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  return code ?? message ?? String(error);
}

const EGRESS_POLL_MS = 25;
/** The longest the policy rules of a new address may take to be in place (local work, not the network's). */
const EGRESS_WAIT_MS = 1_000;

/**
 * Ethernet frames (header and FCS, at least 64 B) of a connect, for the
 * probe budget: a SYN with its options (60 B IP) and the answer; a reset of
 * ours closes a connect that got through, so no FIN exchange follows. The
 * kernel sends the SYN again 1, 3 and 7 s after the first while no answer
 * comes.
 */
const WIRE = { syn: 78, synAck: 78, ack: 70, reset: 64, icmp: 74 } as const;
const SYN_RETRIES_AT_MS = [1_000, 3_000, 7_000];
const synsWithin = (ms: number) => 1 + SYN_RETRIES_AT_MS.filter((at) => ms >= at).length;
/** A DNS query and its answer over UDP: headers, the name twice, an address or two. */
const dnsBytes = (name: string) => 2 * (WIRE.syn + name.length);

/** What a connect that ended with `outcome` after `ms` put on the wire. */
function connectBytes(outcome: "connected" | "refused" | "unreachable" | "silent", ms: number) {
  switch (outcome) {
    case "connected":
      return WIRE.syn + WIRE.synAck + WIRE.ack + WIRE.reset;
    case "refused":
      return WIRE.syn + WIRE.reset;
    case "unreachable":
      return WIRE.syn + WIRE.icmp;
    case "silent":
      return synsWithin(ms) * WIRE.syn;
  }
}

/** The device a packet from `source` to `destination` leaves by, per the kernel (`ip route get`). */
function egressDevice(destination: string, source: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      "ip",
      ["-j", "route", "get", destination, "from", source],
      { timeout: 2_000 },
      (error, stdout) => {
        if (error) {
          resolve(undefined);
          return;
        }
        try {
          const [route] = JSON.parse(stdout) as Array<{ dev?: string }>;
          resolve(route?.dev);
        } catch {
          resolve(undefined);
        }
      },
    );
  });
}

/**
 * One probe: owns every socket, resolver and timer it creates, so that
 * `dispose` can prove nothing outlives the answer.
 */
class ProbeRun {
  readonly #request: ProbeRequest;
  readonly #sockets = new Set<Socket>();
  readonly #closed: Promise<unknown>[] = [];
  readonly #resolvers = new Set<Resolver>();
  readonly #attempts: Promise<unknown>[] = [];
  /** Connects started and not settled yet: their SYNs are out, an answer may still come. */
  readonly #inFlight = new Map<Socket, number>();
  readonly #connected = new Set<Socket>();
  #timer: NodeJS.Timeout | undefined;
  /** What the probe put on the wire so far, answers included. */
  #bytes = 0;
  #removeAbortListener: () => void = () => {};
  #disposed = false;

  constructor(request: ProbeRequest) {
    this.#request = request;
  }

  /** Resolves with the first reachable target, or a failure naming every target's reason. */
  run(signal: AbortSignal | undefined): Promise<ProbeResult> {
    const { targets, timeoutMs } = this.#request;
    const reasons = new Map<number, string>();
    return new Promise<ProbeResult>((resolve, reject) => {
      const onAbort = () => reject(signal?.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#removeAbortListener = () => signal?.removeEventListener("abort", onAbort);
      // Each step has its own bound; this one only stops a step that ignored it.
      const boundMs = 2 * timeoutMs + EGRESS_WAIT_MS;
      this.#timer = setTimeout(() => {
        targets.forEach((_, index) => {
          if (!reasons.has(index)) reasons.set(index, `no answer after ${boundMs} ms`);
        });
        resolve(this.#failure(reasons));
      }, boundMs);
      targets.forEach((target, index) => {
        const attempt = this.#attempt(target).then(
          (outcome) => {
            if (outcome.reachable) {
              resolve(this.#success(target, outcome));
              return;
            }
            reasons.set(index, outcome.reason);
            if (reasons.size === targets.length) resolve(this.#failure(reasons));
          },
          // A lab-only refusal (PublicProbeRefusedError) fails the whole probe.
          reject,
        );
        this.#attempts.push(attempt);
      });
    });
  }

  /** Stops every attempt and waits until each socket has closed and each query has ended. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    clearTimeout(this.#timer);
    this.#removeAbortListener();
    // Connects cut short sent their SYNs, and the answer, if it comes, meets a reset.
    for (const started of this.#inFlight.values()) {
      this.#bytes += connectBytes("silent", performance.now() - started) + WIRE.synAck + WIRE.reset;
    }
    this.#inFlight.clear();
    for (const resolver of this.#resolvers) resolver.cancel();
    for (const socket of this.#sockets) {
      // A reset, not a FIN exchange: a connect that got through costs four frames, not seven.
      // (Only then: on a socket still connecting, resetAndDestroy waits for the connection.)
      if (this.#connected.has(socket)) socket.resetAndDestroy();
      else socket.destroy();
    }
    await Promise.all([...this.#attempts, ...this.#closed]);
  }

  /** Bytes on the wire, as Ethernet frames, of everything the probe sent and got back. */
  get bytes(): number {
    return this.#bytes;
  }

  #success(target: ProbeTarget, outcome: Outcome & { reachable: true }): ProbeResult {
    const via = isIP(target.host) ? "" : ` (${outcome.address})`;
    const how = outcome.how === "connected" ? "connected" : "refused (reachable)";
    return {
      ok: true,
      rttMs: round(outcome.ms),
      detail: `${label(target)}${via} ${how} in ${round(outcome.ms)} ms`,
    };
  }

  #failure(reasons: ReadonlyMap<number, string>): ProbeResult {
    const { targets, sourceAddress } = this.#request;
    const each = targets.map((target, index) => `${label(target)} ${reasons.get(index)}`);
    return { ok: false, detail: `nothing reachable from ${sourceAddress}: ${each.join("; ")}` };
  }

  /**
   * Every error becomes the target's reason, but for PublicProbeRefusedError:
   * a name that resolved outside the lab ranges while lab-only.
   */
  async #attempt(target: ProbeTarget): Promise<Outcome> {
    let address: string;
    try {
      address = await this.#resolve(target.host);
    } catch (error) {
      return { reachable: false, reason: `name not resolved (${errorCode(error)})` };
    }
    if (this.#disposed) return { reachable: false, reason: "cancelled" };
    if (address !== target.host) assertLabAddress(address, `${label(target)} (${address})`);
    const { ifname } = this.#request;
    if (ifname !== undefined) {
      const wrongWay = await this.#awaitEgress(address, ifname);
      if (wrongWay) return { reachable: false, reason: wrongWay };
      if (this.#disposed) return { reachable: false, reason: "cancelled" };
    }
    return this.#connect(address, target.port);
  }

  /**
   * Waits (up to EGRESS_WAIT_MS) until the kernel sends packets from
   * the source address out of `ifname`: right after an address or a carrier
   * comes back, the route manager needs a few milliseconds to put the rules
   * in. Resolves with the reason when they never come.
   */
  async #awaitEgress(address: string, ifname: string): Promise<string | undefined> {
    const deadline = performance.now() + EGRESS_WAIT_MS;
    for (;;) {
      const device = await egressDevice(address, this.#request.sourceAddress);
      if (device === ifname) return undefined;
      if (this.#disposed || performance.now() >= deadline) {
        return `routed via ${device ?? "nowhere"}, not ${ifname}`;
      }
      await new Promise((resolve) => setTimeout(resolve, EGRESS_POLL_MS));
    }
  }

  async #resolve(host: string): Promise<string> {
    if (isIP(host) !== 0) return host;
    const { nameServers, sourceAddress, timeoutMs, ifname } = this.#request;
    if (nameServers.length === 0) throw new Error("no name servers");
    // The query must leave by the interface too, or another uplink's network answers it.
    const wrongWay =
      ifname === undefined ? undefined : await this.#awaitEgress(nameServers[0] as string, ifname);
    if (wrongWay) throw new Error(`name server ${wrongWay}`);
    // c-ares retries on its own schedule; one try within our deadline keeps it bounded.
    const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
    this.#resolvers.add(resolver);
    this.#bytes += dnsBytes(host);
    try {
      resolver.setServers([...nameServers]);
      resolver.setLocalAddress(sourceAddress);
      const [first] = await resolver.resolve4(host);
      if (first === undefined) throw new Error("no address");
      return first;
    } finally {
      this.#resolvers.delete(resolver);
    }
  }

  #connect(address: string, port: number): Promise<Outcome> {
    const socket = new Socket();
    this.#sockets.add(socket);
    this.#closed.push(new Promise((closed) => socket.once("close", closed)));
    const { timeoutMs } = this.#request;
    const started = performance.now();
    return new Promise<Outcome>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (outcome: Outcome, wire?: Parameters<typeof connectBytes>[0]) => {
        clearTimeout(timer);
        if (this.#inFlight.delete(socket) && wire) {
          this.#bytes += connectBytes(wire, performance.now() - started);
        }
        resolve(outcome);
      };
      const ms = () => performance.now() - started;
      socket.once("connect", () => {
        this.#connected.add(socket);
        settle({ reachable: true, how: "connected", address, ms: ms() }, "connected");
      });
      socket.once("error", (error) => {
        const code = errorCode(error);
        // A reset comes from the far end (or a firewall past the uplink): the path works.
        if (code === "ECONNREFUSED") {
          settle({ reachable: true, how: "refused", address, ms: ms() }, "refused");
        } else {
          // A router's "unreachable" answers a SYN; other errors (no route, no such address) are local.
          settle(
            { reachable: false, reason: code },
            code === "EHOSTUNREACH" ? "unreachable" : undefined,
          );
        }
      });
      // Destroyed by dispose before anything happened.
      socket.once("close", () => settle({ reachable: false, reason: "cancelled" }));
      try {
        this.#inFlight.set(socket, started);
        socket.connect({ host: address, port, localAddress: this.#request.sourceAddress });
        timer = setTimeout(
          () => settle({ reachable: false, reason: `timeout after ${timeoutMs} ms` }, "silent"),
          timeoutMs,
        );
      } catch (error) {
        // A malformed source address or port throws before any I/O.
        this.#inFlight.delete(socket);
        settle({ reachable: false, reason: errorCode(error) });
        socket.destroy();
      }
    });
  }
}

/**
 * Tries every target at once from `sourceAddress`. A connect or a refusal is
 * success (the first one wins and stops the rest); a timeout, an unreachable
 * route or an unresolved name is that target's failure. Every socket, query
 * and timer is gone when the promise settles; `signal` cancels it all and
 * rejects with the signal's reason. Under STATENET_REQUIRE_NETNS=1 an address
 * outside the lab ranges rejects with PublicProbeRefusedError before any
 * packet goes to it.
 */
export async function probeTcp(request: ProbeRequest, signal?: AbortSignal): Promise<ProbeResult> {
  signal?.throwIfAborted();
  if (request.targets.length === 0) return { ok: false, detail: "no probe targets" };
  // Tests, demos and benchmarks: nothing leaves for the Internet (see lab-address-guard).
  assertLabProbeRequest(request);
  const probe = new ProbeRun(request);
  let result: ProbeResult;
  try {
    result = await probe.run(signal);
  } finally {
    await probe.dispose();
  }
  return { ...result, bytes: probe.bytes };
}

/**
 * Picks up to `count` distinct targets, rotating through `all` from `cursor`
 * so that successive checks spread over the list, and leaving out hosts
 * `skip` rejects (those on the interface's own subnet prove nothing about
 * the Internet).
 */
export function chooseTargets(
  all: readonly ProbeTarget[],
  count: number,
  cursor: number,
  skip: (host: string) => boolean,
): ProbeTarget[] {
  const chosen: ProbeTarget[] = [];
  const seen = new Set<string>();
  const length = all.length;
  if (length === 0 || count <= 0) return chosen;
  const start = ((Math.trunc(cursor) % length) + length) % length;
  for (let step = 0; step < length && chosen.length < count; step += 1) {
    const target = all[(start + step) % length] as ProbeTarget;
    const key = label(target);
    if (seen.has(key) || skip(target.host)) continue;
    seen.add(key);
    chosen.push(target);
  }
  return chosen;
}

/**
 * `count` targets for one check: distinct hosts as far as there are enough
 * (see chooseTargets), then the same ones again, since under random loss
 * each connect is a chance of its own.
 */
export function probeTargets(
  all: readonly ProbeTarget[],
  count: number,
  cursor: number,
  skip: (host: string) => boolean,
): ProbeTarget[] {
  const distinct = chooseTargets(all, count, cursor, skip);
  if (distinct.length === 0) return [];
  return Array.from(
    { length: count },
    (_, index) => distinct[index % distinct.length] as ProbeTarget,
  );
}
