import type { InterfaceType, Ipv4Address } from "../route/types.js";

/**
 * What a technology makes of one interface's validated configuration: pure
 * data, so the interface machine can reason about it and tests can read it.
 * The shell (`src/linux/interface-commands.ts`, `interface-daemons.ts`) carries it out.
 */

/** One step of bringing an interface up or down; each runs with a timeout. */
export type InterfaceCommand =
  /**
   * Arguments of one `ip` command, e.g. `["link", "set", "eth0", "up"]`.
   * `ignoreFailure`: the kernel's refusal is no failure (VintageNet's
   * `run_ignore_errors`), for a step whose work may be done already, such
   * as creating a link that a previous run left; the steps after it check.
   */
  | { kind: "ip"; args: string[]; ignoreFailure?: true | undefined }
  /** A /proc/sys setting, e.g. `net/ipv4/conf/eth0/ignore_routes_with_linkdown`. */
  | { kind: "sysctl"; path: string; value: string }
  /**
   * Make the interface's global IPv4 addresses exactly these (others removed,
   * missing ones added `noprefixroute`: the route manager owns the routes).
   * Converging rather than flushing keeps a restart from dropping a working address.
   */
  | {
      kind: "ipv4_addresses";
      ifname: string;
      addresses: Ipv4Address[];
      /**
       * A DHCP lease's time: the addresses' valid and preferred lifetime,
       * set again on every renewal, so that the kernel removes an address
       * whose lease ran out while nothing renewed it (the daemon died).
       * Without it they last forever (static addresses).
       */
      lifetimeSeconds?: number | undefined;
    };

/** A file the technology needs while configured (daemon configs); removed on the way down. */
export interface TechnologyFile {
  path: string;
  content: string;
  /** Permission bits, e.g. 0o600 for anything holding secrets. */
  mode: number;
}

/**
 * A supervised program that runs while the interface is configured, as data:
 * the starter its technology registers for `kind` runs it (see daemon.ts).
 */
export interface DaemonSpec {
  kind: string;
  ifname: string;
}

/** IPv4 settings of a configured interface, static or from a lease. */
export interface Ipv4Settings {
  addresses: Ipv4Address[];
  gateway?: string | undefined;
  nameServers: string[];
  domain?: string | undefined;
  /** The domain search list (a DHCP lease's option 119). */
  search?: string[] | undefined;
}

export interface TechnologyPlan {
  /** Run in order when configuring; any failure or timeout means retrying. */
  up: InterfaceCommand[];
  /** Run when reconfiguring or stopping; failures are logged and ignored. */
  down: InterfaceCommand[];
  files: TechnologyFile[];
  daemons: DaemonSpec[];
  /** Settings known from the configuration alone (static addressing). */
  staticIpv4?: Ipv4Settings | undefined;
  /**
   * What a working link of this kind can reach: `internet` gets a connectivity
   * checker; `lan` is LAN-only (carrier and an address make it `lan`).
   */
  reaches: "internet" | "lan";
  /** Where its default route ranks (wired before WiFi before mobile). */
  routeClass: InterfaceType;
  /** The interface's device is kept off: a power manager powers it down. */
  deviceOff?: true | undefined;
  /**
   * The up commands create the interface (a bridge, a VLAN, a tunnel), so
   * it is configured without waiting for it to appear (VintageNet's
   * `required_ifnames: []`); others wait until the kernel has it.
   */
  createsInterface?: true | undefined;
}
