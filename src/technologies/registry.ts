import type { DaemonStarter } from "./daemon.js";
import type { DaemonStarters, Technology, TechnologyPlanner } from "./technology.js";

/** A configuration whose technology is not registered (the schema refuses it first). */
export class UnknownTechnologyError extends Error {
  constructor(readonly type: string) {
    super(`unknown technology "${type}"`);
    this.name = "UnknownTechnologyError";
  }
}

/** A technology handed to `createNetworkManager` that is not one; `field` names what is wrong. */
export class InvalidTechnologyError extends Error {
  constructor(
    /** e.g. `technologies[0].schema`. */
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = "InvalidTechnologyError";
  }
}

/** Two technologies claim one config `type`, or one daemon kind with different starters. */
export class TechnologyClashError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = "TechnologyClashError";
  }
}

/** Config types are names people write in files: short, lower case, no spaces. */
const TECHNOLOGY_TYPE = /^[a-z][a-z0-9_-]{0,31}$/;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

/** The literal values a zod object schema allows for `type` (zod's own lookup for unions). */
function typeLiterals(schema: Record<string, unknown>): ReadonlySet<unknown> | undefined {
  const internals = schema._zod as { propValues?: Record<string, Set<unknown>> } | undefined;
  return internals?.propValues?.type;
}

/** Throws InvalidTechnologyError naming the first field that makes `value` no technology. */
export function assertTechnology(value: unknown, at: string): asserts value is Technology {
  if (!isRecord(value)) throw new InvalidTechnologyError(at, "must be a technology object");
  const { type, schema, plan, daemons } = value;
  if (typeof type !== "string" || !TECHNOLOGY_TYPE.test(type)) {
    throw new InvalidTechnologyError(
      `${at}.type`,
      `must be a name of lower-case letters, digits, - and _ (got ${JSON.stringify(type)})`,
    );
  }
  if (!isRecord(schema) || typeof schema.safeParse !== "function" || !isRecord(schema._zod)) {
    throw new InvalidTechnologyError(`${at}.schema`, "must be a zod schema");
  }
  const literals = typeLiterals(schema);
  if (literals?.size !== 1 || !literals.has(type)) {
    throw new InvalidTechnologyError(
      `${at}.schema`,
      `must be an object schema whose "type" is the literal "${type}"`,
    );
  }
  if (typeof plan !== "function") {
    throw new InvalidTechnologyError(`${at}.plan`, "must be a function (ifname, config) => plan");
  }
  if (daemons === undefined) return;
  if (!isRecord(daemons)) {
    throw new InvalidTechnologyError(`${at}.daemons`, "must be an object of starters by kind");
  }
  for (const [kind, starter] of Object.entries(daemons)) {
    if (typeof starter !== "function") {
      throw new InvalidTechnologyError(
        `${at}.daemons.${kind}`,
        "must be a daemon starter function",
      );
    }
  }
}

/**
 * The built-in technologies followed by the registered ones, checked: each
 * one well formed, no config type claimed twice, no daemon kind started two
 * ways. `createNetworkManager` throws what this throws, before anything runs.
 */
export function registerTechnologies(
  builtin: readonly Technology[],
  registered: readonly unknown[],
): readonly Technology[] {
  if (registered.length === 0) return builtin;
  const all: Technology[] = [...builtin];
  registered.forEach((technology, index) => {
    const at = `technologies[${index}]`;
    assertTechnology(technology, at);
    const taken = all.findIndex((known) => known.type === technology.type);
    if (taken >= 0) {
      const owner =
        taken < builtin.length
          ? "a built-in technology"
          : `technologies[${taken - builtin.length}]`;
      throw new TechnologyClashError(`${at}.type`, `"${technology.type}" is taken by ${owner}`);
    }
    all.push(technology);
    try {
      daemonStarters(all);
    } catch (error) {
      if (!(error instanceof TechnologyClashError)) throw error;
      throw new TechnologyClashError(`${at}.${error.field}`, error.reason);
    }
  });
  return all;
}

function byType(technologies: readonly Technology[]): ReadonlyMap<string, Technology> {
  return new Map(technologies.map((technology) => [technology.type, technology]));
}

/** Plans any config of these technologies (what the machines are given). */
export function technologyPlanner(technologies: readonly Technology[]): TechnologyPlanner {
  const types = byType(technologies);
  return (ifname, config) => {
    const technology = types.get(config.type);
    if (!technology) throw new UnknownTechnologyError(config.type);
    return technology.plan(ifname, config);
  };
}

/**
 * The starters of every daemon kind these technologies name. Technologies
 * may share a kind (a DHCP client) by registering the same starter; two
 * different starters for one kind is a TechnologyClashError.
 */
export function daemonStarters(
  technologies: readonly Technology[],
): ReadonlyMap<string, DaemonStarter> {
  const starters = new Map<string, { starter: DaemonStarters[string]; type: string }>();
  for (const technology of technologies) {
    for (const [kind, starter] of Object.entries(technology.daemons ?? {})) {
      const known = starters.get(kind);
      if (known !== undefined && known.starter !== starter) {
        throw new TechnologyClashError(
          `daemons.${kind}`,
          `daemon kind "${kind}" is started by technology "${known.type}" with another starter (reuse its exported starter, from the same statenet)`,
        );
      }
      starters.set(kind, { starter, type: known?.type ?? technology.type });
    }
  }
  // Each starter is only ever handed specs of its own kind (see interface-daemons.ts).
  return new Map(
    [...starters].map(([kind, { starter }]) => [kind, starter as unknown as DaemonStarter]),
  );
}
