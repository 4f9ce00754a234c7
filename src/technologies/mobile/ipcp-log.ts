import { isIpv4Address } from "../../route/ipv4.js";
import type { Ipv4Settings } from "../types.js";

/**
 * What IPCP agreed, as pppd logs it (to its standard output, in the
 * foreground) when the link comes up, in this order:
 *
 *     local  IP address 203.0.113.10
 *     remote IP address 203.0.113.1
 *     primary   DNS address 198.51.100.53
 *     secondary DNS address 198.51.100.54
 *
 * The address is a /32 of its own; the peer is reachable through pppd's
 * peer route, so it is the gateway of the default route.
 */

const IPCP_LINE = /^(local|remote) +IP address +(\S+)$|^(primary|secondary) +DNS address +(\S+)$/;

export class IpcpLog {
  #local: string | undefined;
  #remote: string | undefined;
  readonly #dns: { primary?: string; secondary?: string } = {};

  /** Takes one line of pppd's output; true when it was part of the IPCP report. */
  read(line: string): boolean {
    const match = IPCP_LINE.exec(line.trim());
    if (!match) return false;
    const address = (match[2] ?? match[4]) as string;
    if (!isIpv4Address(address)) return false;
    if (match[1] === "local") this.#local = address;
    else if (match[1] === "remote") this.#remote = address;
    else if (match[3] === "primary") this.#dns.primary = address;
    else this.#dns.secondary = address;
    return true;
  }

  /** Both ends are known: the link is up. */
  get complete(): boolean {
    return this.#local !== undefined && this.#remote !== undefined;
  }

  /** The secondary DNS address is the last line pppd logs for IPCP. */
  get finished(): boolean {
    return this.complete && this.#dns.secondary !== undefined;
  }

  /** The settings so far; undefined until both ends are known. */
  settings(): Ipv4Settings | undefined {
    if (this.#local === undefined || this.#remote === undefined) return undefined;
    const { primary, secondary } = this.#dns;
    return {
      addresses: [{ address: this.#local, prefixLength: 32 }],
      gateway: this.#remote,
      // A carrier may give one server twice.
      nameServers: [...new Set([primary, secondary].filter((server) => server !== undefined))],
    };
  }
}
