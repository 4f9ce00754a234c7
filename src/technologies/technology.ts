import type { z } from "zod";
import type { DaemonStarter } from "./daemon.js";
import type { TechnologyPlan } from "./types.js";

/**
 * One kind of network interface (Ethernet, WiFi, …): everything statenet
 * knows about it in one place. The machines never look inside: they ask the
 * registered technologies for a plan and run it. Built-in and third-party
 * technologies (`createNetworkManager({ technologies })`) have this one shape.
 */
export interface Technology<Schema extends TechnologySchema = TechnologySchema> {
  /** The config's `type`, e.g. "ethernet"; the schema's `type` must be this literal. */
  readonly type: z.infer<Schema>["type"];
  /** Validates one interface's config; errors name the field. */
  readonly schema: Schema;
  /**
   * Pure: the commands, files and daemons (as data) that configure the
   * interface, what it can reach and where its default route ranks. Called
   * often (every change is compared by its plan): no effects, no clock.
   */
  plan(ifname: string, config: z.infer<Schema>): TechnologyPlan;
  /** Starters for the daemon kinds its plans name; none when its plans name none. */
  readonly daemons?: DaemonStarters | undefined;
}

/** A config schema: an object with a literal `type`, so configs can be told apart by it. */
export type TechnologySchema = z.ZodType<{ type: string }>;

/**
 * Starters by daemon kind. `never`: a starter takes only its own kind's
 * spec, and the dispatcher hands it only specs of that kind.
 */
export type DaemonStarters = Readonly<Record<string, DaemonStarter<never>>>;

/** Plans any config of the registered technologies (what the machines are given). */
export type TechnologyPlanner = (ifname: string, config: { type: string }) => TechnologyPlan;

/**
 * Returns its argument: written around a technology object, it lets
 * TypeScript infer the config type that `plan` receives from the schema.
 */
export function defineTechnology<Schema extends TechnologySchema>(
  technology: Technology<Schema>,
): Technology<Schema> {
  return technology;
}
