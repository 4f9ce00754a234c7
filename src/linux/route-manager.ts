import { createActor, fromPromise } from "xstate";
import {
  type RouteManagerInput,
  type RouteStatus,
  routeManagerMachine,
} from "../../machines/route-manager.js";
import type { Logger } from "../log.js";
import type { PropertyTable } from "../properties/property-table.js";
import { changeCommand } from "../route/ip-commands.js";
import type { IpRunner } from "./ip.js";
import { applyRouteChanges, readManagedEntries } from "./routes.js";

export interface LinuxRouteManagerOptions extends RouteManagerInput {
  ip: IpRunner;
  properties: PropertyTable;
  logger: Logger;
}

/**
 * Writes the route manager's status into the property table; `connection` of
 * an interface it no longer knows is removed.
 */
export function publishRouteStatus(
  properties: PropertyTable,
  status: RouteStatus,
  previous: RouteStatus | undefined,
): void {
  const gone = Object.keys(previous?.interfaces ?? {}).filter(
    (ifname) => !(ifname in status.interfaces),
  );
  properties.putMany([
    [["available_interfaces"], status.availableInterfaces],
    [["connection"], status.connection],
    ...Object.entries(status.interfaces).map(
      ([ifname, connection]) => [["interface", ifname, "connection"], connection] as const,
    ),
    ...gone.map((ifname) => [["interface", ifname, "connection"], undefined] as const),
  ]);
}

/** The route manager machine with its effects on a real kernel. */
export function linuxRouteManagerMachine({ ip, properties, logger }: LinuxRouteManagerOptions) {
  let lastSkipped = "[]";
  let lastStatus: RouteStatus | undefined;
  return routeManagerMachine.provide({
    actors: {
      readKernel: fromPromise(({ signal }) => readManagedEntries(ip, signal)),
      applyChanges: fromPromise(async ({ input, signal }) => {
        const started = performance.now();
        await applyRouteChanges(ip, input.changes, signal);
        logger.debug(
          { commands: input.changes.map(changeCommand), ms: performance.now() - started },
          "routes applied",
        );
      }),
    },
    actions: {
      publish: (_, status) => {
        publishRouteStatus(properties, status, lastStatus);
        lastStatus = status;
        const skipped = JSON.stringify(status.skipped);
        if (skipped !== lastSkipped && status.skipped.length > 0) {
          logger.warn({ skipped: status.skipped }, "interfaces left without routes");
        }
        lastSkipped = skipped;
      },
      reportRejected: (_, { event, problem }) => {
        logger.warn({ event, problem }, "route report rejected");
      },
      reportFailure: ({ context }) => {
        logger.error(
          { failure: context.lastError },
          "route change failed; resynchronising with the kernel",
        );
      },
    },
  });
}

/** Starts a route manager actor on a real kernel (or a namespace, via the IpRunner). */
export function startLinuxRouteManager(options: LinuxRouteManagerOptions) {
  const { ip: _ip, properties: _properties, logger, ...input } = options;
  const actor = createActor(linuxRouteManagerMachine(options), { input });
  actor.subscribe({ error: (error) => logger.error({ err: error }, "route manager stopped") });
  actor.start();
  return actor;
}
