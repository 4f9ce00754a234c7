import { assign, fromPromise, setup } from "xstate";
import {
  computeRoutes,
  interfacesByPriority,
  type SkippedInterface,
} from "../src/route/calculator.js";
import { defaultMetric } from "../src/route/default-metric.js";
import { interfaceTypeFromName, weightFromName } from "../src/route/interface-type.js";
import { adoptTables } from "../src/route/kernel-entries.js";
import { planChanges } from "../src/route/plan.js";
import type {
  ConnectionStatus,
  DefaultRouteEntry,
  InterfaceInfo,
  InterfaceType,
  Ipv4Address,
  KernelRoutes,
  MetricFunction,
  RouteChange,
  RouteEntry,
  TableIndices,
} from "../src/route/types.js";
import { routeReportProblem } from "../src/route/validate.js";
import { actorError } from "./actor-events.js";

/** What the route manager knows of one interface. */
export interface InterfaceRouting {
  addresses: Ipv4Address[];
  gateway?: string | undefined;
  status: ConnectionStatus;
  /** Why the status is what it is, for people reading logs and properties. */
  reason?: string | undefined;
  /** Where its default route ranks, as its technology says (else its name suggests). */
  routeClass?: InterfaceType | undefined;
}

/** What the interfaces report about themselves. */
export type RouteReport =
  | {
      type: "route.set_addresses";
      ifname: string;
      addresses: Ipv4Address[];
      gateway?: string | undefined;
      routeClass?: InterfaceType | undefined;
    }
  | { type: "route.clear_addresses"; ifname: string }
  /** The interface is no longer managed: its routes, table and status go. */
  | { type: "route.remove_interface"; ifname: string }
  | { type: "route.set_connection"; ifname: string; status: ConnectionStatus; reason: string }
  | { type: "route.refresh_metrics" };

export type RouteManagerEvent =
  | RouteReport
  /**
   * Someone else added or removed a default route in `main` (the shell's
   * route monitor): what the manager knows of foreign routes is stale.
   */
  | { type: "kernel.routes_changed" };

export interface RouteManagerInput {
  /** Replaces the default route order (see `defaultMetric`). */
  metric?: MetricFunction;
  /** Interface types that override what the technology (or else the name) says, e.g. `{ usb0: "mobile" }`. */
  interfaceTypes?: Readonly<Record<string, InterfaceType>>;
  /** Wait before resynchronising with the kernel after a failed change; doubles with each failure in a row. */
  retryDelayMs?: number;
  /** The longest wait between retries of a change the kernel keeps refusing. */
  maxRetryDelayMs?: number;
  /** Interfaces known from the start (a restarted manager converges to the same routes). */
  interfaces?: Readonly<Record<string, InterfaceRouting>>;
}

export interface ApplyFailure {
  message: string;
  failures?: ReadonlyArray<{ line: number; command: string; message: string }>;
}

export interface RouteManagerContext {
  interfaces: Record<string, InterfaceRouting>;
  tables: TableIndices;
  /** What the kernel should hold. */
  desired: RouteEntry[];
  /** What statenet believes the kernel holds. */
  applied: RouteEntry[];
  /** The desired entries of the change being applied. */
  inFlight: RouteEntry[];
  /**
   * Default routes in `main` that someone else added, on interfaces statenet
   * does not manage (as of the last read of the kernel): never touched.
   */
  foreign: DefaultRouteEntry[];
  /** The kernel's foreign routes changed since they were last read: read them again. */
  stale: boolean;
  /** Failed changes in a row: the retry delay doubles with each. */
  failures: number;
  skipped: SkippedInterface[];
  lastError: ApplyFailure | undefined;
  metric: MetricFunction;
  interfaceTypes: Readonly<Record<string, InterfaceType>>;
  retryDelayMs: number;
  maxRetryDelayMs: number;
}

/** A default route someone else added on an interface statenet does not manage. */
export interface UnmanagedDefaultRoute {
  ifname: string;
  gateway?: string | undefined;
  metric: number;
  /** Its metric is lower than that of every default route statenet has in `main`: it wins. */
  outranks: boolean;
}

/** What the shell publishes as properties once the kernel matches (or failed to). */
export interface RouteStatus {
  /** Interfaces with a default route, best first (`available_interfaces`). */
  availableInterfaces: string[];
  /** The best status of all interfaces (`connection`). */
  connection: ConnectionStatus;
  /** Every interface the manager was told about (`interface/<ifname>/connection`). */
  interfaces: Record<string, ConnectionStatus>;
  /** Interfaces that should have routes but got none, and why. */
  skipped: SkippedInterface[];
  /** Others' default routes, left alone; the ones that outrank statenet's decide where traffic goes. */
  unmanagedDefaults: UnmanagedDefaultRoute[];
  /** What the kernel refused the last time, until a change succeeds. */
  failure: ApplyFailure | undefined;
}

const STATUS_RANK: Record<ConnectionStatus, number> = { disconnected: 0, lan: 1, internet: 2 };

export function routeStatus(context: RouteManagerContext): RouteStatus {
  const interfaces: Record<string, ConnectionStatus> = {};
  let connection: ConnectionStatus = "disconnected";
  for (const [ifname, routing] of Object.entries(context.interfaces)) {
    interfaces[ifname] = routing.status;
    if (STATUS_RANK[routing.status] > STATUS_RANK[connection]) connection = routing.status;
  }
  const ownMetrics = context.desired.flatMap((entry) =>
    entry.kind === "default_route" && entry.table === "main" ? [entry.metric] : [],
  );
  const best = Math.min(...ownMetrics);
  return {
    availableInterfaces: interfacesByPriority(context.desired),
    connection,
    interfaces,
    skipped: context.skipped,
    unmanagedDefaults: context.foreign.map(({ ifname, gateway, metric }) => ({
      ifname,
      gateway,
      metric,
      outranks: ownMetrics.length > 0 && metric < best,
    })),
    failure: context.lastError,
  };
}

/** The wait before the next retry: the base delay, doubled for each failure in a row after the first. */
export function retryDelayOf(context: RouteManagerContext): number {
  const doublings = Math.min(Math.max(context.failures - 1, 0), 30);
  return Math.min(context.retryDelayMs * 2 ** doublings, context.maxRetryDelayMs);
}

function describeFailure(error: unknown): ApplyFailure {
  const message = error instanceof Error ? error.message : String(error);
  const failures = (error as { failures?: ApplyFailure["failures"] } | undefined)?.failures;
  return Array.isArray(failures) ? { message, failures } : { message };
}

function infosOf(context: RouteManagerContext): Record<string, InterfaceInfo> {
  const infos: Record<string, InterfaceInfo> = {};
  for (const [ifname, routing] of Object.entries(context.interfaces)) {
    // An interface with neither addresses nor a connection needs no table.
    if (routing.addresses.length === 0 && routing.status === "disconnected") continue;
    infos[ifname] = {
      type: context.interfaceTypes[ifname] ?? routing.routeClass ?? interfaceTypeFromName(ifname),
      status: routing.status,
      weight: weightFromName(ifname),
      addresses: routing.addresses,
      gateway: routing.gateway,
    };
  }
  return infos;
}

function recompute(context: RouteManagerContext, tables = context.tables) {
  const {
    entries,
    tables: nextTables,
    skipped,
  } = computeRoutes(infosOf(context), tables, context.metric);
  return { desired: entries, tables: nextTables, skipped };
}

function updateInterface(
  interfaces: Record<string, InterfaceRouting>,
  event: RouteManagerEvent,
): Record<string, InterfaceRouting> {
  if (event.type === "route.refresh_metrics" || event.type === "kernel.routes_changed") {
    return interfaces;
  }
  const current = interfaces[event.ifname] ?? { addresses: [], status: "disconnected" as const };
  switch (event.type) {
    case "route.set_addresses":
      return {
        ...interfaces,
        [event.ifname]: {
          ...current,
          addresses: [...event.addresses],
          gateway: event.gateway,
          routeClass: event.routeClass,
        },
      };
    case "route.clear_addresses":
      return { ...interfaces, [event.ifname]: { ...current, addresses: [], gateway: undefined } };
    case "route.remove_interface": {
      const { [event.ifname]: _removed, ...rest } = interfaces;
      return rest;
    }
    case "route.set_connection":
      return {
        ...interfaces,
        [event.ifname]: { ...current, status: event.status, reason: event.reason },
      };
  }
}

/** A report with a bad interface name or address never reaches the kernel; the shell logs why. */
const rejectReport = {
  type: "reportRejected",
  params: ({ event }: { event: RouteManagerEvent }) => ({
    event,
    problem: routeReportProblem(event) ?? "",
  }),
} as const;

/**
 * Keeps the kernel's policy routing in step with what the interfaces report:
 * computes the desired rules and routes, applies only the difference in one
 * batch, and resynchronises from the kernel when a change fails.
 */
export const routeManagerMachine = setup({
  types: {
    context: {} as RouteManagerContext,
    events: {} as RouteManagerEvent,
    input: {} as RouteManagerInput,
  },
  actors: {
    readKernel: fromPromise<KernelRoutes>(async () => {
      throw new Error("readKernel must be provided by the platform");
    }),
    applyChanges: fromPromise<void, { changes: RouteChange[] }>(async () => {
      throw new Error("applyChanges must be provided by the platform");
    }),
  },
  actions: {
    update: assign(({ context, event }) => {
      const interfaces = updateInterface(context.interfaces, event);
      return { interfaces, ...recompute({ ...context, interfaces }) };
    }),
    publish: (_, _status: RouteStatus) => {},
    recordFailure: assign({
      lastError: ({ event }) => describeFailure(actorError(event)),
      failures: ({ context }) => context.failures + 1,
    }),
    /**
     * A foreign default route on an interface that has become managed is
     * stale: from now on it counts as applied, so the plan deletes it.
     */
    claimForeign: assign(({ context }) => {
      const claimed = context.foreign.filter((entry) => entry.ifname in context.interfaces);
      if (claimed.length === 0) return {};
      return {
        applied: [...context.applied, ...claimed],
        foreign: context.foreign.filter((entry) => !(entry.ifname in context.interfaces)),
      };
    }),
    /** The shell logs `context.lastError`. */
    reportFailure: () => {},
    reportRejected: (_, _rejection: { event: RouteManagerEvent; problem: string }) => {},
  },
  guards: {
    isStale: ({ context }) => context.stale,
    isUsable: ({ event }) => routeReportProblem(event) === undefined,
    hasChanges: ({ context }) => planChanges(context.applied, context.desired).length > 0,
  },
  delays: {
    retryDelay: ({ context }) => retryDelayOf(context),
  },
}).createMachine({
  id: "routeManager",
  context: ({ input }) => {
    const context: RouteManagerContext = {
      interfaces: structuredClone({ ...input.interfaces }),
      tables: {},
      desired: [],
      applied: [],
      inFlight: [],
      foreign: [],
      stale: false,
      failures: 0,
      skipped: [],
      lastError: undefined,
      metric: input.metric ?? defaultMetric,
      interfaceTypes: { ...input.interfaceTypes },
      retryDelayMs: input.retryDelayMs ?? 5_000,
      maxRetryDelayMs: input.maxRetryDelayMs ?? 300_000,
    };
    return { ...context, ...recompute(context) };
  },
  initial: "syncing",
  on: {
    // While busy, updates only change what is desired; the state that
    // finishes the current step looks at it again.
    "route.*": [{ guard: "isUsable", actions: "update" }, { actions: rejectReport }],
    // Read again once the current step is done (evaluating looks).
    "kernel.routes_changed": { actions: assign({ stale: true }) },
  },
  states: {
    syncing: {
      entry: assign({ stale: false }),
      invoke: {
        id: "readKernel",
        src: "readKernel",
        onDone: {
          target: "evaluating",
          actions: assign(({ context, event }) => ({
            applied: event.output.owned,
            foreign: event.output.foreign,
            ...recompute(context, adoptTables(context.tables, event.output.owned)),
          })),
        },
        onError: { target: "backingOff", actions: ["recordFailure", "reportFailure"] },
      },
    },
    evaluating: {
      entry: "claimForeign",
      always: [
        { guard: "isStale", target: "syncing" },
        {
          guard: "hasChanges",
          target: "applying",
          actions: assign({ inFlight: ({ context }) => context.desired }),
        },
        // The kernel holds what is desired: whatever failed before is behind us.
        { target: "idle", actions: assign({ lastError: undefined, failures: 0 }) },
      ],
    },
    applying: {
      invoke: {
        id: "applyChanges",
        src: "applyChanges",
        input: ({ context }) => ({ changes: planChanges(context.applied, context.inFlight) }),
        onDone: {
          target: "evaluating",
          actions: assign({
            applied: ({ context }) => context.inFlight,
            lastError: undefined,
            failures: 0,
          }),
        },
        onError: { target: "backingOff", actions: ["recordFailure", "reportFailure"] },
      },
    },
    idle: {
      entry: { type: "publish", params: ({ context }) => routeStatus(context) },
      on: {
        "kernel.routes_changed": { target: "syncing" },
        "route.*": [
          { guard: "isUsable", target: "evaluating", actions: "update" },
          { actions: rejectReport },
        ],
      },
    },
    backingOff: {
      entry: { type: "publish", params: ({ context }) => routeStatus(context) },
      after: { retryDelay: { target: "syncing" } },
      on: {
        "route.*": [
          { guard: "isUsable", target: "syncing", actions: "update" },
          { actions: rejectReport },
        ],
      },
    },
  },
});

export type RouteManagerMachine = typeof routeManagerMachine;
