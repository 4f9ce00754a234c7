import { BlockList, isIP } from "node:net";
import type { CommandRunner } from "../linux/command-runner.js";
import type { LinkAddress } from "../linux/link-state.js";
import type { Logger } from "../log.js";
import {
  readTcpSockets,
  type TcpSocketInfo,
  type TrafficEvidence,
  trafficEvidence,
} from "./passive-evidence.js";

/**
 * Samples the device's TCP sockets every few seconds while some interface is
 * at `internet`, and tells its checker what its own traffic showed since the
 * sample before: "seen" saves the next probe, "stalled" asks for one now.
 * One `ss` read serves every interface.
 */

export interface WatchedInterface {
  ifname: string;
  /** The interface's IPv4 and IPv6 addresses: sockets bound to them went out through it. */
  addresses: readonly LinkAddress[];
}

export interface TrafficWatcherOptions {
  runner: CommandRunner;
  /** The interfaces to watch now (those at `internet`); none: no sampling. */
  watched: () => readonly WatchedInterface[];
  onEvidence: (ifname: string, evidence: Exclude<TrafficEvidence, "none">) => void;
  /** Between samples; default 2 s. */
  sampleMs?: number;
  logger: Logger;
}

export const DEFAULT_TRAFFIC_SAMPLE_MS = 2_000;

/** Peers that prove nothing about an uplink whatever the interface: loopback, link-local, multicast. */
const NEVER_OFF_LINK: ReadonlyArray<[string, number, "ipv4" | "ipv6"]> = [
  ["127.0.0.0", 8, "ipv4"],
  ["169.254.0.0", 16, "ipv4"],
  ["::1", 128, "ipv6"],
  ["fe80::", 10, "ipv6"],
  ["ff00::", 8, "ipv6"],
];

/**
 * Whether a peer lies beyond the interface: not on one of its own subnets
 * (IPv4 or IPv6 prefixes), nor loopback, link-local or multicast.
 */
function offLinkOf(addresses: readonly LinkAddress[]): (remote: string) => boolean {
  const onLink = new BlockList();
  for (const [network, prefix, family] of NEVER_OFF_LINK) onLink.addSubnet(network, prefix, family);
  for (const { family, address, prefixLength } of addresses) {
    const [version, bits, type] =
      family === "inet" ? ([4, 32, "ipv4"] as const) : ([6, 128, "ipv6"] as const);
    // addSubnet throws on what the kernel never reports; such an entry is skipped, not fatal.
    const valid = Number.isInteger(prefixLength) && prefixLength >= 0 && prefixLength <= bits;
    if (isIP(address) === version && valid) onLink.addSubnet(address, prefixLength, type);
  }
  return (remote) => {
    const family = isIP(remote);
    return family !== 0 && !onLink.check(remote, family === 4 ? "ipv4" : "ipv6");
  };
}

/**
 * Evidence for one interface: any of its addresses, IPv4 or IPv6, with
 * traffic counts; seen beats stalled.
 */
export function evidenceFor(
  previous: readonly TcpSocketInfo[],
  current: readonly TcpSocketInfo[],
  addresses: readonly LinkAddress[],
): TrafficEvidence {
  const isOffLink = offLinkOf(addresses);
  let result: TrafficEvidence = "none";
  for (const { address } of addresses) {
    const evidence = trafficEvidence(previous, current, address, isOffLink);
    if (evidence === "seen") return "seen";
    if (evidence === "stalled") result = "stalled";
  }
  return result;
}

export class TrafficWatcher {
  readonly #options: TrafficWatcherOptions;
  readonly #abort = new AbortController();
  #previous: TcpSocketInfo[] | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #failing = false;

  constructor(options: TrafficWatcherOptions) {
    this.#options = options;
  }

  start(): void {
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(): void {
    if (this.#abort.signal.aborted) return;
    this.#timer = setTimeout(() => {
      this.#running = this.#sample().finally(() => this.#schedule());
    }, this.#options.sampleMs ?? DEFAULT_TRAFFIC_SAMPLE_MS);
    // Sampling alone must not keep the process alive.
    this.#timer.unref();
  }

  async #sample(): Promise<void> {
    const watched = this.#options.watched();
    if (watched.length === 0) {
      // Counters from before a gap would count the gap's traffic as recent.
      this.#previous = undefined;
      return;
    }
    let current: TcpSocketInfo[];
    try {
      current = await readTcpSockets(this.#options.runner, this.#abort.signal);
    } catch (error) {
      if (this.#abort.signal.aborted) return;
      // Only a hint: probes still decide. Logged once per run of failures.
      if (!this.#failing) {
        this.#options.logger.warn({ err: error }, "cannot read TCP sockets for traffic evidence");
      }
      this.#failing = true;
      return;
    }
    this.#failing = false;
    const previous = this.#previous;
    this.#previous = current;
    if (!previous) return;
    for (const { ifname, addresses } of watched) {
      const evidence = evidenceFor(previous, current, addresses);
      if (evidence !== "none") this.#options.onEvidence(ifname, evidence);
    }
  }
}
