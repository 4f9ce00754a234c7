import { writeFileAtomic } from "../linux/atomic-write.js";
import type { Logger } from "../log.js";
import type { PropertyTable } from "../properties/property-table.js";
import {
  type InterfaceNameServers,
  orderNameServers,
  resolvConfText,
  searchDomains,
} from "./resolv-conf.js";

export interface NameResolverOptions {
  path: string;
  additionalNameServers: readonly string[];
  properties: PropertyTable;
  logger: Logger;
}

/**
 * Keeps resolv.conf and `name_servers` in step with the interfaces' servers
 * and the route order. Writes are serialised and skipped when nothing changed.
 */
export class NameResolver {
  readonly #options: NameResolverOptions;
  readonly #interfaces = new Map<string, InterfaceNameServers>();
  #additionalNameServers: readonly string[];
  #order: readonly string[] = [];
  #written: string | undefined;
  #queue: Promise<void> = Promise.resolve();

  constructor(options: NameResolverOptions) {
    this.#options = options;
    this.#additionalNameServers = options.additionalNameServers;
  }

  /** Servers after the interfaces' own, e.g. from a reloaded configuration. */
  setAdditionalNameServers(servers: readonly string[]): Promise<void> {
    this.#additionalNameServers = [...servers];
    return this.update();
  }

  set(ifname: string, settings: Omit<InterfaceNameServers, "ifname">): Promise<void> {
    this.#interfaces.set(ifname, { ifname, ...settings });
    return this.update();
  }

  clear(ifname: string): Promise<void> {
    if (!this.#interfaces.delete(ifname)) return this.#queue;
    return this.update();
  }

  /** The interfaces with default routes, best first (`available_interfaces`). */
  setOrder(order: readonly string[]): Promise<void> {
    this.#order = [...order];
    return this.update();
  }

  /** Resolves when everything asked for so far is on disk. */
  update(): Promise<void> {
    const interfaces = [...this.#interfaces.values()];
    const servers = orderNameServers(interfaces, this.#order, this.#additionalNameServers);
    const text = resolvConfText(servers, searchDomains(interfaces, this.#order));
    this.#options.properties.put(["name_servers"], servers);
    this.#queue = this.#queue.then(() => this.#write(text));
    return this.#queue;
  }

  /** Resolves when every write asked for so far has finished. */
  flush(): Promise<void> {
    return this.#queue;
  }

  async #write(text: string): Promise<void> {
    if (text === this.#written) return;
    try {
      await writeFileAtomic(this.#options.path, text);
      this.#written = text;
      this.#options.logger.debug({ path: this.#options.path }, "resolv.conf written");
    } catch (error) {
      this.#options.logger.error(
        { err: error, path: this.#options.path },
        "resolv.conf not written",
      );
    }
  }
}
