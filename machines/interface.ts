import { assertEvent, assign, fromCallback, fromPromise, sendParent, setup } from "xstate";
import type { InterfaceConfig } from "../src/config/schema.js";
import type { TechnologyPlanner } from "../src/technologies/technology.js";
import type { DaemonSpec, Ipv4Settings, TechnologyPlan } from "../src/technologies/types.js";
import { actorErrorMessage } from "./actor-events.js";

/**
 * One configured interface, VintageNet's lifecycle: configuring → configured,
 * retrying after a failure, reconfiguring on a new config, and waiting while
 * the interface is absent (after its down steps, when it vanished while up).
 * Effects (commands, files, daemons) are actors the shell provides; leaving a
 * state cancels what it started.
 */

export interface InterfaceInput {
  ifname: string;
  config: InterfaceConfig;
  /** The registered technologies' plans: the machine never looks inside a config. */
  planner: TechnologyPlanner;
  /** Whether the kernel has the interface now. */
  present: boolean;
  /** Wait after a failure before configuring again (VintageNet: 30 s). */
  retryDelayMs?: number;
  /** Limit for each up or down command. */
  commandTimeoutMs?: number;
}

export interface InterfaceContext {
  ifname: string;
  config: InterfaceConfig;
  planner: TechnologyPlanner;
  plan: TechnologyPlan;
  /** A config that arrived while the old one was being taken down. */
  pendingConfig: InterfaceConfig | undefined;
  present: boolean;
  retryDelayMs: number;
  commandTimeoutMs: number;
  lastError: string | undefined;
}

/** Reports of the daemons (from the shell's daemon actor). */
export type DaemonEvent =
  | { type: "ipv4.updated"; settings: Ipv4Settings }
  | { type: "ipv4.cleared" }
  | { type: "daemon.failed"; reason: string };

export type InterfaceEvent =
  | { type: "config.changed"; config: InterfaceConfig }
  | { type: "link.present"; present: boolean }
  | { type: "interface.stop" }
  /** Down and up again with the same config (the power manager's first remedy). */
  | { type: "interface.restart" }
  | DaemonEvent;

/** What the interface tells its parent (the manager). */
export type InterfaceReport =
  | { type: "interface.ipv4"; ifname: string; settings: Ipv4Settings }
  | { type: "interface.ipv4_cleared"; ifname: string }
  | { type: "interface.stopped"; ifname: string };

/** Names published as `interface/<ifname>/state`. */
export type InterfaceStateName =
  | "waiting_for_interface"
  | "configuring"
  | "configured"
  | "reconfiguring"
  | "retrying"
  | "stopping"
  | "stopped";

export interface CommandsInput {
  ifname: string;
  plan: TechnologyPlan;
  timeoutMs: number;
}

export interface DaemonsInput {
  ifname: string;
  daemons: DaemonSpec[];
}

/**
 * A plan that does nothing to the interface (the `null` technology): statenet
 * lists the interface but neither configures it nor decides its routes, so
 * someone else may manage it.
 */
export function leavesInterfaceAlone(plan: TechnologyPlan): boolean {
  return (
    plan.up.length === 0 &&
    plan.down.length === 0 &&
    plan.files.length === 0 &&
    plan.daemons.length === 0 &&
    plan.staticIpv4 === undefined
  );
}

const DEFAULT_RETRY_DELAY_MS = 30_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

const publish = (state: InterfaceStateName) =>
  ({
    type: "publishState",
    params: ({ context }: { context: InterfaceContext }) => ({ ifname: context.ifname, state }),
  }) as const;

/** Logs a failed command run; the shell decides how. */
const reportCommandError = (stage: "up" | "down") =>
  ({
    type: "reportError",
    params: ({ context, event }: { context: InterfaceContext; event: unknown }) => ({
      ifname: context.ifname,
      stage,
      message: actorErrorMessage(event),
    }),
  }) as const;

const commandsInput = ({ context }: { context: InterfaceContext }): CommandsInput => ({
  ifname: context.ifname,
  plan: context.plan,
  timeoutMs: context.commandTimeoutMs,
});

/**
 * While configuring, configured or retrying: a new config takes the old one
 * down first, and so does an interface that vanishes (its daemons stop, its
 * files go) before it is waited for.
 */
const whileUp = {
  // Only a new plan takes the interface down; other settings (connectivity timings) just apply.
  "config.changed": [
    { guard: "changesPlan", target: "reconfiguring", actions: "holdConfig" },
    { actions: "adoptConfig" },
  ],
  "link.present": {
    guard: "vanished",
    target: "reconfiguring",
    actions: ["setPresence", "holdCurrentConfig"],
  },
  "interface.restart": { target: "reconfiguring", actions: "holdCurrentConfig" },
} as const;

export const interfaceMachine = setup({
  types: {
    context: {} as InterfaceContext,
    events: {} as InterfaceEvent,
    input: {} as InterfaceInput,
  },
  actors: {
    /** Writes the plan's files, then runs its up commands in order. */
    bringUp: fromPromise<void, CommandsInput>(async () => {
      throw new Error("bringUp must be provided by the platform");
    }),
    /** Runs the plan's down commands and removes its files. */
    bringDown: fromPromise<void, CommandsInput>(async () => {
      throw new Error("bringDown must be provided by the platform");
    }),
    /** Runs the plan's daemons until stopped; reports with DaemonEvent. */
    daemons: fromCallback<InterfaceEvent, DaemonsInput>(() => {}),
  },
  actions: {
    publishState: (_, _params: { ifname: string; state: InterfaceStateName }) => {},
    reportError: (_, _params: { ifname: string; stage: string; message: string }) => {},
    recordError: assign({
      lastError: ({ event }) => actorErrorMessage(event),
    }),
    adoptPending: assign(({ context }) => {
      const config = context.pendingConfig ?? context.config;
      return {
        config,
        plan: context.planner(context.ifname, config),
        pendingConfig: undefined,
      };
    }),
    adoptConfig: assign({
      config: ({ event }) => {
        assertEvent(event, "config.changed");
        return event.config;
      },
    }),
    holdCurrentConfig: assign({ pendingConfig: ({ context }) => context.config }),
    holdConfig: assign({
      pendingConfig: ({ event }) => {
        assertEvent(event, "config.changed");
        return event.config;
      },
    }),
    setPresence: assign({
      present: ({ event }) => {
        assertEvent(event, "link.present");
        return event.present;
      },
    }),
    reportStaticIpv4: sendParent(({ context }) =>
      context.plan.staticIpv4
        ? { type: "interface.ipv4", ifname: context.ifname, settings: context.plan.staticIpv4 }
        : { type: "interface.ipv4_cleared", ifname: context.ifname },
    ),
    reportIpv4: sendParent(({ context, event }) => {
      assertEvent(event, "ipv4.updated");
      return { type: "interface.ipv4", ifname: context.ifname, settings: event.settings };
    }),
    reportIpv4Cleared: sendParent(({ context }) => ({
      type: "interface.ipv4_cleared",
      ifname: context.ifname,
    })),
    reportStopped: sendParent(({ context }) => ({
      type: "interface.stopped",
      ifname: context.ifname,
    })),
  },
  guards: {
    // A technology that creates its interface (a bridge) does not wait for it to appear.
    isPresent: ({ context }) => context.present || context.plan.createsInterface === true,
    isAbsent: ({ context }) => !context.present,
    appeared: ({ event }) => event.type === "link.present" && event.present,
    vanished: ({ event }) => event.type === "link.present" && !event.present,
    changesPlan: ({ context, event }) =>
      event.type === "config.changed" &&
      JSON.stringify(context.planner(context.ifname, event.config)) !==
        JSON.stringify(context.plan),
  },
  delays: {
    retryDelay: ({ context }) => context.retryDelayMs,
  },
}).createMachine({
  id: "interface",
  context: ({ input }) => ({
    ifname: input.ifname,
    config: input.config,
    planner: input.planner,
    plan: input.planner(input.ifname, input.config),
    pendingConfig: undefined,
    present: input.present,
    retryDelayMs: input.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
    commandTimeoutMs: input.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    lastError: undefined,
  }),
  initial: "starting",
  on: {
    "link.present": { actions: "setPresence" },
    "interface.stop": ".stopping",
  },
  states: {
    starting: {
      always: [{ guard: "isPresent", target: "configuring" }, { target: "waitingForInterface" }],
    },
    waitingForInterface: {
      entry: publish("waiting_for_interface"),
      on: {
        "link.present": {
          guard: "appeared",
          target: "configuring",
          actions: ["setPresence", "adoptPending"],
        },
        "config.changed": { actions: ["holdConfig"] },
      },
    },
    configuring: {
      entry: publish("configuring"),
      invoke: {
        id: "bringUp",
        src: "bringUp",
        input: commandsInput,
        onDone: "configured",
        onError: {
          target: "retrying",
          actions: ["recordError", reportCommandError("up")],
        },
      },
      on: {
        ...whileUp,
      },
    },
    configured: {
      entry: [publish("configured"), "reportStaticIpv4"],
      exit: "reportIpv4Cleared",
      invoke: {
        id: "daemons",
        src: "daemons",
        input: ({ context }) => ({ ifname: context.ifname, daemons: context.plan.daemons }),
      },
      on: {
        "ipv4.updated": { actions: "reportIpv4" },
        "ipv4.cleared": { actions: "reportIpv4Cleared" },
        "daemon.failed": {
          target: "retrying",
          actions: [
            assign({ lastError: ({ event }) => event.reason }),
            {
              type: "reportError",
              params: ({ context, event }) => ({
                ifname: context.ifname,
                stage: "daemon",
                message: event.reason,
              }),
            },
          ],
        },
        ...whileUp,
      },
    },
    reconfiguring: {
      entry: publish("reconfiguring"),
      invoke: {
        id: "bringDown",
        src: "bringDown",
        input: commandsInput,
        onDone: { target: "starting", actions: "adoptPending" },
        // The old config may be half gone already; the new one starts regardless.
        onError: [
          // Commands on a link that is gone cannot but fail: nothing worth an error.
          { guard: "isAbsent", target: "starting", actions: ["recordError", "adoptPending"] },
          { target: "starting", actions: [reportCommandError("down"), "adoptPending"] },
        ],
      },
      on: {
        "config.changed": { actions: "holdConfig" },
      },
    },
    retrying: {
      entry: publish("retrying"),
      after: { retryDelay: "starting" },
      on: {
        // What the failed attempt left behind goes down with the old config.
        ...whileUp,
      },
    },
    stopping: {
      entry: publish("stopping"),
      invoke: {
        id: "bringDown",
        src: "bringDown",
        input: commandsInput,
        onDone: "stopped",
        onError: [
          { guard: "isAbsent", target: "stopped", actions: "recordError" },
          { target: "stopped", actions: reportCommandError("down") },
        ],
      },
      on: {
        "interface.stop": {},
        "config.changed": {},
      },
    },
    stopped: {
      type: "final",
      entry: [publish("stopped"), "reportStopped"],
    },
  },
});

export type InterfaceMachine = typeof interfaceMachine;
