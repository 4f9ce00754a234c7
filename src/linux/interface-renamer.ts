import {
  describeRefusal,
  type IfnameRule,
  planRenames,
  type RenameDecision,
} from "../ifnames/rename-plan.js";
import type { Logger } from "../log.js";
import type { IpRunner } from "./ip.js";
import type { LinkState } from "./link-state.js";

/**
 * Carries out the `ifnames` rules (src/ifnames/rename-plan.ts decides) on
 * the links of each kernel dump, before the dump is published: the kernel
 * monitor reads the links again after a rename, so nothing in statenet ever
 * sees, let alone configures, a link under the name it is about to lose.
 */

export interface InterfaceRenamer {
  /**
   * Renames the links of `next` that are not in `previous` (by name and
   * ifindex) as the rules say, and logs the refusals. True when a rename was
   * tried: the links then need reading again.
   */
  renameAppeared(
    previous: ReadonlyMap<string, LinkState>,
    next: ReadonlyMap<string, LinkState>,
    signal?: AbortSignal,
  ): Promise<boolean>;
}

export interface InterfaceRenamerOptions {
  rules: readonly IfnameRule[];
  ip: IpRunner;
  logger: Logger;
}

export function createInterfaceRenamer(options: InterfaceRenamerOptions): InterfaceRenamer {
  return new LinuxInterfaceRenamer(options);
}

/** Links of `next` that `previous` did not have: a new name, or a new ifindex under a known one. */
export function appearedLinks(
  previous: ReadonlyMap<string, LinkState>,
  next: ReadonlyMap<string, LinkState>,
): LinkState[] {
  return [...next.values()].filter((link) => previous.get(link.ifname)?.ifindex !== link.ifindex);
}

class LinuxInterfaceRenamer implements InterfaceRenamer {
  readonly #rules: readonly IfnameRule[];
  readonly #ip: IpRunner;
  readonly #log: Logger;
  /** Ifindexes statenet renamed, while their links exist. */
  readonly #renamed = new Set<number>();

  constructor(options: InterfaceRenamerOptions) {
    this.#rules = options.rules;
    this.#ip = options.ip;
    this.#log = options.logger.child({ component: "ifnames" });
  }

  async renameAppeared(
    previous: ReadonlyMap<string, LinkState>,
    next: ReadonlyMap<string, LinkState>,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const present = [...next.values()];
    // A vanished link's ifindex may come back on another device one day.
    for (const ifindex of this.#renamed) {
      if (!present.some((link) => link.ifindex === ifindex)) this.#renamed.delete(ifindex);
    }
    const appeared = appearedLinks(previous, next);
    if (appeared.length === 0) return false;
    const decisions = planRenames(this.#rules, appeared, present, this.#renamed);
    let tried = false;
    for (const decision of decisions) {
      if (decision.action === "refuse") {
        // Every veth or bridge is one, when ifnames are configured: not worth a warning.
        const log = decision.reason === "virtual" ? this.#log.info : this.#log.warn;
        log.call(this.#log, { ...decision }, describeRefusal(decision));
        continue;
      }
      tried = true;
      await this.#rename(decision, signal);
    }
    return tried;
  }

  async #rename(
    decision: Extract<RenameDecision, { action: "rename" }>,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const { from, to, hwPath, wasUp } = decision;
    // Marked before the command: a rename that failed half-way is not retried in a loop.
    this.#renamed.add(decision.ifindex);
    try {
      // The kernel refuses to rename a link that is up.
      if (wasUp) await this.#ip.batch([`link set dev ${from} down`], signal);
      await this.#ip.batch([`link set dev ${from} name ${to}`], signal);
    } catch (error) {
      this.#log.error({ err: error, from, to, hwPath }, `could not rename ${from} to ${to}`);
      if (wasUp) await this.#restoreUp(from, signal);
      return;
    }
    this.#log.info({ from, to, hwPath }, `renamed ${from} to ${to} (hardware path ${hwPath})`);
    if (wasUp) await this.#restoreUp(to, signal);
  }

  async #restoreUp(ifname: string, signal: AbortSignal | undefined): Promise<void> {
    await this.#ip.batch([`link set dev ${ifname} up`], signal).catch((error: unknown) => {
      this.#log.error({ err: error, ifname }, `could not set ${ifname} up again after renaming`);
    });
  }
}
