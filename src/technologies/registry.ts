import type { DaemonStarter } from "./daemon.js";
import type { DaemonStarters, Technology, TechnologyPlanner } from "./technology.js";
import type { DaemonSpec } from "./types.js";

/** A configuration whose technology is not registered (the schema refuses it first). */
export class UnknownTechnologyError extends Error {
  constructor(readonly type: string) {
    super(`unknown technology "${type}"`);
    this.name = "UnknownTechnologyError";
  }
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

/** The starters of every daemon kind these technologies name; one kind has one starter. */
export function daemonStarters(
  technologies: readonly Technology[],
): ReadonlyMap<string, DaemonStarter> {
  const starters = new Map<string, DaemonStarters[string]>();
  for (const technology of technologies) {
    for (const [kind, starter] of Object.entries(technology.daemons)) {
      const known = starters.get(kind);
      if (known !== undefined && known !== starter) {
        throw new Error(`daemon kind "${kind}" of technology "${technology.type}" is taken`);
      }
      starters.set(kind, starter);
    }
  }
  // Each starter is only ever handed specs of its own kind (see interface-daemons.ts).
  return starters as unknown as ReadonlyMap<string, DaemonStarter<DaemonSpec>>;
}
