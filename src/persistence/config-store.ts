import { access, chmod, mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { type InterfaceConfig, LOOPBACK_INTERFACE, LOOPBACK_REFUSAL } from "../config/schema.js";
import { ConfigError, parseInterfaceConfig } from "../config/validate.js";
import { writeFileAtomic } from "../linux/atomic-write.js";
import { assertInterfaceName, isInterfaceName } from "../linux/interface-name.js";
import { BUILTIN_TECHNOLOGIES } from "../technologies/builtin.js";
import type { Technology } from "../technologies/technology.js";
import { seal, unseal } from "./sealed-file.js";

/**
 * Saved interface configurations: one sealed file per interface
 * (`<dir>/<ifname>.config`, 0600 in a 0700 directory), written atomically so
 * that a power cut leaves the old file or the new one. A file that does not
 * open, parse or validate is moved aside (`….bad-<time>`), never deleted,
 * and reported.
 *
 * Every method refuses a name that is not an interface name (empty, `..`,
 * `/`, anything `assertInterfaceName` refuses) with
 * InvalidInterfaceNameError before it touches the disk: the name becomes a
 * path, and the store must not trust its callers to have checked it.
 */

const SUFFIX = ".config";
const DOCUMENT_VERSION = 1;

interface SavedDocument {
  version: number;
  ifname: string;
  savedAt: string;
  config: unknown;
}

/** A saved configuration and when it was saved. */
export interface SavedConfig {
  /** null: saved as deconfigured. */
  config: InterfaceConfig | null;
  /** ISO time of the save. */
  savedAt: string;
}

export interface StoreProblem {
  ifname: string;
  /** Why the file was not used. */
  message: string;
  /** Where it now is. */
  movedTo: string;
  /**
   * Left where it was: its technology is not registered (a module removed
   * or not loaded), and registering it again makes the file usable again.
   */
  kept?: true;
}

/** A saved configuration of a technology this manager does not have. */
export class UnregisteredTechnologyError extends Error {
  constructor(
    readonly ifname: string,
    readonly type: string,
  ) {
    super(
      `the saved configuration of ${ifname} is of technology "${type}", which is not registered; the file is kept for when it is`,
    );
    this.name = "UnregisteredTechnologyError";
  }
}

const typeOf = (config: unknown): unknown =>
  typeof config === "object" && config !== null ? (config as { type?: unknown }).type : undefined;

export class ConfigStore {
  readonly #dir: string;
  readonly #key: Buffer;
  readonly #technologies: readonly Technology[];

  /** `technologies`: what saved configurations are validated with (default: the built-in ones). */
  constructor(options: { dir: string; key: Buffer; technologies?: readonly Technology[] }) {
    this.#dir = options.dir;
    this.#key = options.key;
    this.#technologies = options.technologies ?? BUILTIN_TECHNOLOGIES;
  }

  fileOf(ifname: string): string {
    assertInterfaceName(ifname);
    return join(this.#dir, `${ifname}${SUFFIX}`);
  }

  /**
   * `null` records a deconfigured interface: it stays unconfigured after a
   * restart. Resolves with the time it records (ISO).
   */
  async save(ifname: string, config: InterfaceConfig | null): Promise<string> {
    const file = this.fileOf(ifname);
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    await chmod(this.#dir, 0o700);
    const document: SavedDocument = {
      version: DOCUMENT_VERSION,
      ifname,
      savedAt: new Date().toISOString(),
      config,
    };
    const sealed = seal(Buffer.from(JSON.stringify(document), "utf8"), this.#key, ifname);
    await writeFileAtomic(file, sealed, 0o600);
    return document.savedAt;
  }

  /** Whether a configuration (or a deconfiguration) is saved for the interface, usable or not. */
  async has(ifname: string): Promise<boolean> {
    try {
      await access(this.fileOf(ifname));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw error;
    }
  }

  async remove(ifname: string): Promise<void> {
    await rm(this.fileOf(ifname), { force: true });
  }

  /**
   * One interface's saved configuration (undefined: nothing saved); throws
   * saying why it cannot be used (InvalidInterfaceNameError for a name that
   * is none).
   */
  async load(ifname: string): Promise<SavedConfig | undefined> {
    let sealed: Buffer;
    try {
      sealed = await readFile(this.fileOf(ifname));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    const text = unseal(sealed, this.#key, ifname).toString("utf8");
    let document: SavedDocument;
    try {
      document = JSON.parse(text) as SavedDocument;
    } catch {
      throw new Error("its content is not JSON");
    }
    // `null` is JSON too: reading it must say "unknown", not throw a TypeError.
    if (document?.version !== DOCUMENT_VERSION || document.ifname !== ifname) {
      throw new Error(`unknown document version ${document?.version} or interface`);
    }
    const type = typeOf(document.config);
    if (typeof type === "string" && !this.#technologies.some((known) => known.type === type)) {
      throw new UnregisteredTechnologyError(ifname, type);
    }
    const config =
      document.config === null
        ? null
        : parseInterfaceConfig(ifname, document.config, this.#technologies);
    return { config, savedAt: await this.#savedAt(ifname, document) };
  }

  /** The time the document records; the file's own for one that has none. */
  async #savedAt(ifname: string, document: SavedDocument): Promise<string> {
    if (typeof document.savedAt === "string" && !Number.isNaN(Date.parse(document.savedAt))) {
      return document.savedAt;
    }
    return (await stat(this.fileOf(ifname))).mtime.toISOString();
  }

  /** Every usable saved configuration; the others are moved aside and reported. */
  async loadAll(): Promise<{
    configs: Record<string, SavedConfig>;
    problems: StoreProblem[];
  }> {
    const configs: Record<string, SavedConfig> = {};
    const problems: StoreProblem[] = [];
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { configs, problems };
      throw error;
    }
    // Half-written temp files of a save that a crash interrupted: the old file stands.
    for (const name of names.filter((entry) => entry.endsWith(".tmp"))) {
      await rm(join(this.#dir, name), { force: true });
    }
    for (const name of names.filter((entry) => entry.endsWith(SUFFIX)).sort()) {
      const ifname = name.slice(0, -SUFFIX.length);
      try {
        if (!isInterfaceName(ifname)) throw new Error("its name is not an interface name");
        // An older statenet saved `lo` like any name; it must not be configured now either.
        if (ifname === LOOPBACK_INTERFACE) throw new Error(LOOPBACK_REFUSAL);
        const saved = await this.load(ifname);
        if (saved !== undefined) configs[ifname] = saved;
      } catch (error) {
        if (error instanceof UnregisteredTechnologyError) {
          problems.push({
            ifname,
            message: error.message,
            movedTo: this.fileOf(ifname),
            kept: true,
          });
          continue;
        }
        const message =
          error instanceof ConfigError ? `invalid: ${error.message}` : (error as Error).message;
        problems.push({ ifname, message, movedTo: await this.#moveAside(name) });
      }
    }
    return { configs, problems };
  }

  async #moveAside(name: string): Promise<string> {
    const target = join(this.#dir, `${name}.bad-${new Date().toISOString().replace(/[:.]/g, "-")}`);
    await rename(join(this.#dir, name), target);
    return target;
  }
}
