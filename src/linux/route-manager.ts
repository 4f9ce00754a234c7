import { createActor, fromPromise } from "xstate";
import {
  type ApplyFailure,
  type RouteManagerInput,
  type RouteStatus,
  retryDelayOf,
  routeManagerMachine,
} from "../../machines/route-manager.js";
import type { Logger } from "../log.js";
import type { PropertyTable } from "../properties/property-table.js";
import { changeCommand } from "../route/ip-commands.js";
import type { IpRunner } from "./ip.js";
import { applyRouteChanges, readKernelRoutes } from "./routes.js";

export interface LinuxRouteManagerOptions extends RouteManagerInput {
  ip: IpRunner;
  properties: PropertyTable;
  logger: Logger;
}

/** One line the kernel refused, as published in `route_errors`. */
export interface RouteError {
  /** The interface the refused route was for; absent for rules. */
  ifname?: string;
  command?: string;
  error: string;
}

/** The kernel's refusals of the last change, by line where the batch says which. */
export function routeErrors(failure: ApplyFailure | undefined): RouteError[] | undefined {
  if (!failure) return undefined;
  if (!failure.failures?.length) return [{ error: failure.message }];
  return failure.failures.map(({ command, message }) => {
    const ifname = / dev (\S+)/.exec(command)?.[1];
    return ifname ? { ifname, command, error: message } : { command, error: message };
  });
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
    [["route_errors"], routeErrors(status.failure)],
    [
      ["unmanaged_default_routes"],
      status.unmanagedDefaults.length > 0 ? status.unmanagedDefaults : undefined,
    ],
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
  // A refusal repeats with every retry and an outranking route with every
  // change: each is worth one warning, not one per attempt.
  let lastFailure: string | undefined;
  const warnedOutranking = new Set<string>();
  return routeManagerMachine.provide({
    actors: {
      readKernel: fromPromise(({ signal }) => readKernelRoutes(ip, signal)),
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
        for (const route of status.unmanagedDefaults) {
          const key = JSON.stringify(route);
          if (!route.outranks || warnedOutranking.has(key)) continue;
          warnedOutranking.add(key);
          logger.warn(
            { route },
            "a default route statenet does not manage outranks its own; traffic follows it",
          );
        }
        if (status.failure === undefined && lastFailure !== undefined) {
          logger.info("routes applied; the kernel accepts what it refused before");
          lastFailure = undefined;
        }
      },
      reportRejected: (_, { event, problem }) => {
        logger.warn({ event, problem }, "route report rejected");
      },
      reportFailure: ({ context }) => {
        const failure = routeErrors(context.lastError);
        const signature = JSON.stringify(failure?.map(({ command, error }) => [command, error]));
        const retryInMs = retryDelayOf(context);
        if (signature === lastFailure) {
          logger.debug({ failure, retryInMs }, "route change refused again");
          return;
        }
        lastFailure = signature;
        logger.warn(
          { failure, retryInMs },
          "route change refused by the kernel; resynchronising and retrying",
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
