import { assign, type DoneActorEvent, fromPromise, raise, sendParent, setup } from "xstate";
import { actorErrorMessage } from "./actor-events.js";

/**
 * The power-manager watchdog of one device (a modem, a WiFi module): powers it
 * on and off through the user's implementation, and power-cycles it when
 * nobody says it works (pets the watchdog) for too long. Hold times keep a
 * device on long enough to boot and off long enough to reset.
 *
 * The implementation's calls are states of their own (they may take time, fail
 * or hang); a call that fails or outlives its timeout disables the manager
 * instead of leaving the device in an unknown state. Where a sequence ends
 * (powered or not) is `desired`: a power-on while powering off turns the
 * shutdown into a reset without restarting its timer, as does a power-off
 * during the on-hold.
 *
 * Better than a plain watchdog: a missed watchdog first asks for the
 * interface's configuration to be restarted (a cheap fix for a stuck DHCP
 * client or a modem that only needs re-dialling), and only the next miss
 * power-cycles; at most `maxCyclesPerWindow` cycles per window, after which
 * each further cycle waits twice as long as the one before, until the device
 * works again.
 */

export interface PowerSettings {
  /** Pets must come at least this often while the device is on. */
  watchdogTimeoutMs: number;
  /** An implementation call that takes longer has failed. */
  callTimeoutMs: number;
  /** A missed watchdog first restarts the interface's configuration. */
  restartFirst: boolean;
  /** Power cycles allowed per `cycleWindowMs` before backing off. */
  maxCyclesPerWindow: number;
  cycleWindowMs: number;
  /** Wait before the first cycle over the limit; doubles for each further one. */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_POWER_SETTINGS: PowerSettings = {
  watchdogTimeoutMs: 60_000,
  callTimeoutMs: 30_000,
  restartFirst: true,
  maxCyclesPerWindow: 3,
  cycleWindowMs: 3_600_000,
  backoffBaseMs: 3_600_000,
  backoffMaxMs: 86_400_000,
};

/** A power-off request that a power-on follows this quickly is a reapplied configuration: no cycle. */
export const TRANSIENT_POWER_OFF_MS = 10;

/** Names published as `interface/<ifname>/power/state`. */
export type PowerStateName =
  | "initializing"
  | "off"
  | "powering_on"
  | "on_hold"
  | "on"
  | "waiting_to_power_off"
  | "backing_off"
  | "powering_off"
  | "resetting"
  | "off_hold"
  | "waiting_to_power_on"
  | "disabled";

export interface PowerInput {
  ifname: string;
  settings?: Partial<PowerSettings>;
}

export interface PowerContext {
  ifname: string;
  settings: PowerSettings;
  /** Where the running sequence ends. */
  desired: "on" | "off";
  /** The hold time the implementation returned last. */
  holdMs: number;
  /** The ladder's first rung was tried since the last pet. */
  restartTried: boolean;
  /** Cycles within the current window, and in all. */
  recentCycles: number;
  cycles: number;
  /** Cycles over the limit in a row: the exponent of the backoff. */
  backoffs: number;
  lastError: string | undefined;
}

export type PowerEvent =
  | { type: "power.on" }
  | { type: "power.off" }
  | { type: "watchdog.pet" }
  | { type: "power.force_reset" }
  /** A cycle left the counting window (raised by the machine itself). */
  | { type: "cycles.expired" };

export type PowerReport =
  /** The ladder's first rung: reconfigure the interface before cutting its power. */
  { type: "power.restart_interface"; ifname: string };

/** What the shell publishes under `interface/<ifname>/power/`. */
export interface PowerDetails {
  ifname: string;
  state: PowerStateName;
  /** A timer started now and fires in this many ms; null: no timer; undefined: the running one goes on. */
  timeLeftMs: number | null | undefined;
  cycles: number;
  lastError: string | undefined;
}

/** Input of every implementation call. */
export interface PowerCallInput {
  ifname: string;
}

type StateName = PowerStateName | ((context: PowerContext) => PowerStateName);

const publish = (name: StateName, timer?: ((context: PowerContext) => number) | "running") =>
  ({
    type: "publishPower",
    params: ({ context }: { context: PowerContext }): PowerDetails => ({
      ifname: context.ifname,
      state: typeof name === "function" ? name(context) : name,
      timeLeftMs: timer === "running" ? undefined : timer ? timer(context) : null,
      cycles: context.cycles,
      lastError: context.lastError,
    }),
  }) as const;

const holdTimer = (context: PowerContext) => context.holdMs;
const shuttingDown = (context: PowerContext): PowerStateName =>
  context.desired === "on" ? "resetting" : "powering_off";
const heldOn = (context: PowerContext): PowerStateName =>
  context.desired === "on" ? "on_hold" : "waiting_to_power_off";
const heldOff = (context: PowerContext): PowerStateName =>
  context.desired === "on" ? "waiting_to_power_on" : "off_hold";

function backoffFor(context: PowerContext): number {
  const { backoffBaseMs, backoffMaxMs } = context.settings;
  return Math.min(backoffBaseMs * 2 ** context.backoffs, backoffMaxMs);
}

const reportFailure = {
  type: "reportFailure",
  params: ({ context }: { context: PowerContext }) => ({
    ifname: context.ifname,
    error: context.lastError ?? "unknown error",
  }),
} as const;

/** A call of the implementation: done with its hold time, or the manager is disabled. */
const call = (src: "init" | "powerOn" | "startPoweringOff" | "powerOff", target: string) =>
  ({
    invoke: {
      id: src,
      src,
      input: ({ context }: { context: PowerContext }): PowerCallInput => ({
        ifname: context.ifname,
      }),
      onDone: {
        target,
        actions: {
          type: "recordHold",
          params: ({ event }: { event: DoneActorEvent<number> }) => event.output,
        },
      },
      onError: { target: "#power.disabled", actions: ["recordError", reportFailure] },
    },
    after: {
      callTimeout: { target: "#power.disabled", actions: ["recordTimeout", reportFailure] },
    },
  }) as const;

/** While a sequence runs, requests only change where it ends (and so the state's name). */
const redirect = (name: StateName) =>
  ({
    "power.on": { actions: ["wantOn", publish(name, "running")] },
    "power.off": { actions: ["wantOff", publish(name, "running")] },
  }) as const;

export const powerManagerMachine = setup({
  types: {
    context: {} as PowerContext,
    events: {} as PowerEvent,
    input: {} as PowerInput,
  },
  actors: {
    init: fromPromise<number, PowerCallInput>(async () => 0),
    powerOn: fromPromise<number, PowerCallInput>(async () => 0),
    startPoweringOff: fromPromise<number, PowerCallInput>(async () => 0),
    powerOff: fromPromise<number, PowerCallInput>(async () => 0),
  },
  actions: {
    publishPower: (_, _details: PowerDetails) => {},
    /** The shell logs a failed or hung implementation. */
    reportFailure: (_, _params: { ifname: string; error: string }) => {},
    recordHold: assign((_, hold: number) => ({
      // A nonsense hold time is no reason to stop: hold as little as possible.
      holdMs: Number.isFinite(hold) && hold > 0 ? hold : 0,
    })),
    recordError: assign({ lastError: ({ event }) => actorErrorMessage(event) }),
    recordTimeout: assign({
      lastError: ({ context }) => `no answer within ${context.settings.callTimeoutMs} ms`,
    }),
    wantOn: assign({ desired: "on" }),
    wantOff: assign({ desired: "off" }),
    forgetMisses: assign({ restartTried: false, backoffs: 0 }),
    restartInterface: sendParent(({ context }) => ({
      type: "power.restart_interface",
      ifname: context.ifname,
    })),
    markRestartTried: assign({ restartTried: true }),
    countCycle: assign({
      recentCycles: ({ context }) => context.recentCycles + 1,
      cycles: ({ context }) => context.cycles + 1,
    }),
    /** Asked for by a person: counted, but never held back by the boot-loop guard. */
    countForcedCycle: assign({ cycles: ({ context }) => context.cycles + 1 }),
    expireCycleLater: raise(
      { type: "cycles.expired" },
      { delay: ({ context }) => context.settings.cycleWindowMs },
    ),
    expireCycle: assign({
      recentCycles: ({ context }) => Math.max(0, context.recentCycles - 1),
    }),
    backOff: assign({ backoffs: ({ context }) => context.backoffs + 1 }),
  },
  guards: {
    wantsOn: ({ context }) => context.desired === "on",
    mayRestartInterface: ({ context }) => context.settings.restartFirst && !context.restartTried,
    // Once over the limit, only a pet (the device works again) ends the backoff.
    mayCycle: ({ context }) =>
      context.backoffs === 0 && context.recentCycles < context.settings.maxCyclesPerWindow,
  },
  delays: {
    hold: ({ context }) => context.holdMs,
    watchdog: ({ context }) => context.settings.watchdogTimeoutMs,
    callTimeout: ({ context }) => context.settings.callTimeoutMs,
    transient: TRANSIENT_POWER_OFF_MS,
    backoff: ({ context }) => backoffFor(context),
  },
}).createMachine({
  id: "power",
  context: ({ input }) => ({
    ifname: input.ifname,
    settings: { ...DEFAULT_POWER_SETTINGS, ...input.settings },
    desired: "off",
    holdMs: 0,
    restartTried: false,
    recentCycles: 0,
    cycles: 0,
    backoffs: 0,
    lastError: undefined,
  }),
  on: {
    "cycles.expired": { actions: "expireCycle" },
  },
  initial: "initializing",
  states: {
    initializing: {
      entry: publish("initializing"),
      ...call("init", "off"),
      // Asked for before the implementation is ready: remembered for when it is.
      on: redirect("initializing"),
    },
    off: {
      entry: publish("off"),
      always: { guard: "wantsOn", target: "poweringOn" },
      on: { "power.on": { target: "poweringOn", actions: "wantOn" } },
    },
    poweringOn: {
      entry: publish("powering_on"),
      ...call("powerOn", "onHold"),
      on: redirect("powering_on"),
    },
    onHold: {
      entry: publish(heldOn, holdTimer),
      after: {
        hold: [{ guard: "wantsOn", target: "on" }, { target: "startingPowerOff" }],
      },
      on: {
        // The hold keeps running: a power-off waits for its end.
        ...redirect(heldOn),
        // Forced resets do not wait for the hold.
        "power.force_reset": {
          target: "startingPowerOff",
          actions: ["wantOn", "countForcedCycle"],
        },
      },
    },
    on: {
      entry: publish("on", (context) => context.settings.watchdogTimeoutMs),
      after: {
        watchdog: [
          {
            guard: "mayRestartInterface",
            target: "on",
            reenter: true,
            actions: ["markRestartTried", "restartInterface"],
          },
          {
            guard: "mayCycle",
            target: "startingPowerOff",
            actions: ["wantOn", "countCycle", "expireCycleLater"],
          },
          { target: "backingOff" },
        ],
      },
      on: {
        "watchdog.pet": { target: "on", reenter: true, actions: "forgetMisses" },
        "power.off": { target: "waitingToPowerOff", actions: "wantOff" },
        "power.force_reset": {
          target: "startingPowerOff",
          actions: ["wantOn", "countForcedCycle"],
        },
      },
    },
    waitingToPowerOff: {
      entry: publish("waiting_to_power_off", () => TRANSIENT_POWER_OFF_MS),
      after: { transient: "startingPowerOff" },
      on: { "power.on": { target: "on", actions: "wantOn" } },
    },
    /** Too many cycles lately: the device stays on and the next cycle waits. */
    backingOff: {
      entry: publish("backing_off", backoffFor),
      after: {
        backoff: {
          target: "startingPowerOff",
          actions: ["backOff", "wantOn", "countCycle", "expireCycleLater"],
        },
      },
      on: {
        "watchdog.pet": { target: "on", actions: "forgetMisses" },
        "power.off": { target: "waitingToPowerOff", actions: "wantOff" },
        "power.force_reset": {
          target: "startingPowerOff",
          actions: ["wantOn", "countForcedCycle"],
        },
      },
    },
    startingPowerOff: {
      entry: publish(shuttingDown),
      ...call("startPoweringOff", "poweringOff"),
      on: redirect(shuttingDown),
    },
    poweringOff: {
      entry: publish(shuttingDown, holdTimer),
      after: { hold: "callingPowerOff" },
      on: redirect(shuttingDown),
    },
    callingPowerOff: {
      entry: publish(shuttingDown),
      ...call("powerOff", "offHold"),
      on: redirect(shuttingDown),
    },
    offHold: {
      entry: publish(heldOff, holdTimer),
      after: {
        hold: [{ guard: "wantsOn", target: "poweringOn" }, { target: "off" }],
      },
      on: redirect(heldOff),
    },
    /** The implementation failed or hung: nothing more is asked of it. */
    disabled: {
      entry: publish("disabled"),
    },
  },
});

export type PowerManagerMachine = typeof powerManagerMachine;
