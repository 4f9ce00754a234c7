import { fromPromise } from "xstate";
import {
  type PowerCallInput,
  type PowerDetails,
  powerManagerMachine,
} from "../../machines/power-manager.js";
import type { Logger } from "../log.js";
import type { PropertyTable } from "../properties/property-table.js";
import type { PowerManagerImplementation } from "./implementation.js";

export interface PowerShellOptions {
  implementations: ReadonlyMap<string, PowerManagerImplementation>;
  properties: PropertyTable;
  logger: Logger;
  now?: () => number;
}

type Step = "powerOn" | "startPoweringOff" | "powerOff";

/**
 * The watchdog machine calling the user's implementations, publishing
 * `interface/<ifname>/power/{state,time_left,cycles,last_error}`.
 */
export function powerShell(options: PowerShellOptions) {
  const { implementations, properties, logger } = options;
  const now = options.now ?? Date.now;
  /** When each manager's running timer fires, for a live `time_left`. */
  const deadlines = new Map<string, number | null>();

  const implementationOf = (ifname: string): PowerManagerImplementation => {
    const implementation = implementations.get(ifname);
    if (!implementation) throw new Error(`no power manager implementation for ${ifname}`);
    return implementation;
  };
  const step = (name: Step) =>
    fromPromise<number, PowerCallInput>(async ({ input, signal }) =>
      implementationOf(input.ifname)[name]({ ifname: input.ifname, signal }),
    );

  const publish = (details: PowerDetails) => {
    const { ifname } = details;
    if (details.timeLeftMs !== undefined) {
      deadlines.set(ifname, details.timeLeftMs === null ? null : now() + details.timeLeftMs);
    }
    const key = (leaf: string) => ["interface", ifname, "power", leaf];
    const previous = properties.get(key("state"));
    properties.putMany([
      [key("state"), details.state],
      [key("time_left"), timeLeft(ifname)],
      [key("cycles"), details.cycles],
      [key("last_error"), details.lastError ?? null],
    ]);
    if (previous !== details.state) logger.info({ ifname, state: details.state }, "power state");
  };

  /** Milliseconds until the running timer of the interface's manager fires; null without one. */
  const timeLeft = (ifname: string): number | null => {
    const deadline = deadlines.get(ifname);
    return deadline == null ? null : Math.max(0, deadline - now());
  };

  const machine = powerManagerMachine.provide({
    actors: {
      init: fromPromise<number, PowerCallInput>(async ({ input, signal }) => {
        await implementationOf(input.ifname).init?.({ ifname: input.ifname, signal });
        return 0;
      }),
      powerOn: step("powerOn"),
      startPoweringOff: step("startPoweringOff"),
      powerOff: step("powerOff"),
    },
    actions: {
      publishPower: (_, details) => publish(details),
      reportFailure: (_, { ifname, error }) => {
        logger.error({ ifname, error }, "power manager failed; it is disabled");
      },
    },
  });
  return { machine, timeLeft };
}
