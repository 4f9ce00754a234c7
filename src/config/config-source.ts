import { isDeepStrictEqual } from "node:util";
import type { PropertyTable } from "../properties/property-table.js";
import type { InterfaceConfig } from "./schema.js";

/**
 * Where an interface's configuration, or its being deconfigured, came from.
 * A saved runtime configuration takes the file's place until `reset`, even
 * after the file is edited: by design, and shown in `info`, the
 * `interface/<ifname>/config_source` property and the start's log.
 */
export type ConfigSource =
  | { from: "file" }
  /** Given at run time and saved: it survives a restart. */
  | { from: "saved"; savedAt: string }
  /** Given at run time without saving (`persist: false`, or no persistence): a restart forgets it. */
  | { from: "runtime" };

/** As `info` shows it: with whether it differs from what the file says. */
export type ConfigSourceInfo = ConfigSource & { overridesFile: boolean };

/** Thrown by `deconfigure` for an interface that nothing configures: nothing is saved. */
export class NotConfiguredError extends Error {
  constructor(readonly ifname: string) {
    super(`interface ${ifname} is not configured`);
    this.name = "NotConfiguredError";
  }
}

/** Whether the setting in force (undefined: deconfigured) is not the file's (undefined: none). */
export function overridesFile(
  file: InterfaceConfig | undefined,
  current: InterfaceConfig | undefined,
): boolean {
  return file !== undefined && !isDeepStrictEqual(file, current);
}

/** The runtime settings' sources; every other interface in the file has the file's. */
export class ConfigSources {
  readonly #runtime = new Map<string, ConfigSource>();
  readonly #properties: PropertyTable;
  readonly #file: () => Readonly<Record<string, InterfaceConfig>>;

  constructor(properties: PropertyTable, file: () => Readonly<Record<string, InterfaceConfig>>) {
    this.#properties = properties;
    this.#file = file;
  }

  /** A setting given at run time; with the time it was saved, if it was. */
  setRuntime(ifname: string, savedAt: string | undefined): void {
    this.#runtime.set(
      ifname,
      savedAt === undefined ? { from: "runtime" } : { from: "saved", savedAt },
    );
    this.publish(ifname);
  }

  /** The runtime setting is forgotten: the file's applies again (or none). */
  backToFile(ifname: string): void {
    this.#runtime.delete(ifname);
    this.publish(ifname);
  }

  sourceOf(ifname: string): ConfigSource | undefined {
    const runtime = this.#runtime.get(ifname);
    if (runtime) return runtime;
    return Object.hasOwn(this.#file(), ifname) ? { from: "file" } : undefined;
  }

  info(ifname: string, current: InterfaceConfig | undefined): ConfigSourceInfo | undefined {
    const source = this.sourceOf(ifname);
    if (!source) return undefined;
    return { ...source, overridesFile: overridesFile(this.#file()[ifname], current) };
  }

  /** `interface/<ifname>/config_source`. */
  publish(ifname: string): void {
    this.#properties.put(["interface", ifname, "config_source"], this.sourceOf(ifname));
  }

  /** Every interface with a source: the file's and those set at run time. */
  names(): string[] {
    return [...new Set([...Object.keys(this.#file()), ...this.#runtime.keys()])];
  }
}

/** One line for people: `saved at run time 2026-12-01T12:00:00.000Z (overrides the file)`. */
export function describeConfigSource(source: ConfigSourceInfo, configured: boolean): string {
  const given = configured ? "given at run time" : "deconfigured at run time";
  const text =
    source.from === "file"
      ? "the configuration file"
      : source.from === "saved"
        ? configured
          ? `saved at run time ${source.savedAt}`
          : `${given}, saved ${source.savedAt}`
        : `${given}, not saved`;
  return source.overridesFile ? `${text} (overrides the file)` : text;
}
