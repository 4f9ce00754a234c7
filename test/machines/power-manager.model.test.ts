import { describe, expect, it } from "vitest";
import { SimulatedClock } from "xstate";
import {
  DEFAULT_POWER_SETTINGS,
  type PowerCallInput,
  type PowerContext,
  type PowerDetails,
  type PowerReport,
  type PowerSettings,
  powerManagerMachine,
  TRANSIENT_POWER_OFF_MS,
} from "../../machines/power-manager.js";
import { controlledPromise, settle } from "../model/controlled-promise.js";
import { CoverageRecorder } from "../model/coverage.js";
import { hostChild } from "../model/host.js";
import { edgeCoveringPaths } from "../model/paths.js";
import { describeEveryEdge } from "../model/walk.js";

/** Two cycles per window keep the graph small; the window never closes by itself in the walk. */
const SETTINGS: PowerSettings = {
  ...DEFAULT_POWER_SETTINGS,
  watchdogTimeoutMs: 60_000,
  callTimeoutMs: 5_000,
  maxCyclesPerWindow: 2,
  cycleWindowMs: 1_000_000_000,
  backoffBaseMs: 100_000,
  backoffMaxMs: 400_000,
};
/** Every call of the implementation asks to hold its state this long. */
const HOLD_MS = 1_000;

type AnyEvent = { type: string; [key: string]: unknown };

const CALLS = ["init", "powerOn", "startPoweringOff", "powerOff"] as const;
type CallName = (typeof CALLS)[number];
const CALL_STATES: Record<string, CallName> = {
  initializing: "init",
  poweringOn: "powerOn",
  startingPowerOff: "startPoweringOff",
  callingPowerOff: "powerOff",
};
const TIMER_STATES: Record<string, string> = {
  onHold: "hold",
  on: "watchdog",
  waitingToPowerOff: "transient",
  backingOff: "backoff",
  poweringOff: "hold",
  offHold: "hold",
};

const requests: AnyEvent[] = [
  { type: "power.on" },
  { type: "power.off" },
  { type: "watchdog.pet" },
  { type: "power.force_reset" },
];

function platformEvents(context: PowerContext, state: string): AnyEvent[] {
  const events: AnyEvent[] = [];
  const callName = CALL_STATES[state];
  if (callName) {
    events.push(
      { type: `xstate.done.actor.${callName}`, output: HOLD_MS },
      { type: `xstate.error.actor.${callName}`, error: new Error("modem: no such device") },
      { type: `xstate.after.callTimeout.power.${state}` },
    );
  }
  const timer = TIMER_STATES[state];
  if (timer) events.push({ type: `xstate.after.${timer}.power.${state}` });
  if (context.recentCycles > 0) events.push({ type: "cycles.expired" });
  return events;
}

function serialize(snapshot: { value: unknown; context: PowerContext }): string {
  const { desired, restartTried, recentCycles, backoffs, lastError } = snapshot.context;
  // Beyond the limit, more cycles and backoffs only lengthen the waits.
  return JSON.stringify([
    snapshot.value,
    desired,
    restartTried,
    Math.min(recentCycles, SETTINGS.maxCyclesPerWindow + 1),
    Math.min(backoffs, 2),
    lastError !== undefined,
  ]);
}

const walkedMachine = powerManagerMachine.provide({
  actions: { restartInterface: () => {} },
});
const input = { ifname: "wwan0", settings: SETTINGS };

const paths = edgeCoveringPaths(walkedMachine, {
  input,
  events: (snapshot) => {
    const { value, context } = snapshot as unknown as { value: string; context: PowerContext };
    return [...requests, ...platformEvents(context, value)];
  },
  serializeState: (snapshot) => serialize(snapshot as never),
});

/** The published name of each state, given where its sequence ends. */
function expectedName(value: string, context: PowerContext): string {
  const wantsOn = context.desired === "on";
  const names: Record<string, string> = {
    initializing: "initializing",
    off: "off",
    poweringOn: "powering_on",
    onHold: wantsOn ? "on_hold" : "waiting_to_power_off",
    on: "on",
    waitingToPowerOff: "waiting_to_power_off",
    backingOff: "backing_off",
    startingPowerOff: wantsOn ? "resetting" : "powering_off",
    poweringOff: wantsOn ? "resetting" : "powering_off",
    callingPowerOff: wantsOn ? "resetting" : "powering_off",
    offHold: wantsOn ? "waiting_to_power_on" : "off_hold",
    disabled: "disabled",
  };
  return names[value] ?? `unknown state ${value}`;
}

function startLivePower(recorder: CoverageRecorder, settings: PowerSettings = SETTINGS) {
  const calls = Object.fromEntries(
    CALLS.map((name) => [name, controlledPromise<number, PowerCallInput>()]),
  ) as Record<CallName, ReturnType<typeof controlledPromise<number, PowerCallInput>>>;
  const published: PowerDetails[] = [];
  const failures: string[] = [];
  const clock = new SimulatedClock();
  const machine = powerManagerMachine.provide({
    actors: {
      init: calls.init.logic,
      powerOn: calls.powerOn.logic,
      startPoweringOff: calls.startPoweringOff.logic,
      powerOff: calls.powerOff.logic,
    },
    actions: {
      publishPower: (_, details) => published.push(details),
      reportFailure: (_, { error }) => failures.push(error),
    },
  });
  const { actor, host, reports } = hostChild<typeof machine, PowerReport>(machine, {
    input: { ...input, settings },
    clock,
    inspect: recorder.inspect,
    reportPrefix: "power.",
  });
  const delays: Record<string, (context: PowerContext) => number> = {
    hold: (context) => context.holdMs,
    watchdog: (context) => context.settings.watchdogTimeoutMs,
    transient: () => TRANSIENT_POWER_OFF_MS,
    backoff: (context) =>
      Math.min(
        context.settings.backoffBaseMs * 2 ** context.backoffs,
        context.settings.backoffMaxMs,
      ),
    callTimeout: (context) => context.settings.callTimeoutMs,
  };

  async function perform(event: AnyEvent): Promise<void> {
    const after = /^xstate\.after\.(\w+)\./.exec(event.type);
    const done = /^xstate\.(done|error)\.actor\.(\w+)$/.exec(event.type);
    if (after) {
      const delay = delays[after[1] as string];
      if (!delay) throw new Error(`no delay ${after[1]}`);
      clock.increment(delay(actor.getSnapshot().context));
    } else if (done) {
      const call = calls[done[2] as CallName].current();
      if (done[1] === "done") call.resolve(event.output as number);
      else call.reject(event.error);
    } else {
      actor.send(event as never);
    }
    await settle();
  }

  const running = () =>
    CALLS.filter((name) => calls[name].calls.some((call) => !call.settled && !call.signal.aborted));
  return {
    actor,
    host,
    calls,
    published,
    failures,
    reports,
    clock,
    perform,
    running,
    stop: () => host.stop(),
  };
}

describeEveryEdge("power-manager watchdog machine, every path of its graph on a live actor", {
  machine: powerManagerMachine,
  paths,
  minimumPaths: 100,
  start: (recorder) => startLivePower(recorder),
  check: (live, step) => {
    const snapshot = live.actor.getSnapshot();
    expect(snapshot.value).toEqual(step.state.value);
    const value = snapshot.value as string;
    // The implementation is called exactly in the calling states, one call at a time.
    const callName = CALL_STATES[value];
    expect(live.running()).toEqual(callName ? [callName] : []);
    // What is published always names the state and where its sequence ends.
    expect(live.published.at(-1)?.state).toBe(expectedName(value, snapshot.context));
    expect(live.published.at(-1)?.cycles).toBe(snapshot.context.cycles);
    if (value === "disabled") expect(live.failures.length).toBeGreaterThan(0);
  },
});

describe("power-manager watchdog, timed behaviour", () => {
  const HOLDS = { init: 0, powerOn: 600_000, startPoweringOff: 60_000, powerOff: 10_000 };
  const WATCHDOG = 60_000;
  const settings: PowerSettings = { ...SETTINGS, watchdogTimeoutMs: WATCHDOG };

  /** A live manager whose implementation answers every call at once with HOLDS; records the call times. */
  async function running(overrides: Partial<PowerSettings> = {}) {
    const live = startLivePower(new CoverageRecorder(), { ...settings, ...overrides });
    const log: Array<{ call: CallName; atMs: number }> = [];
    const answer = async () => {
      for (let round = 0; round < 5; round += 1) {
        await settle();
        for (const name of live.running()) {
          log.push({ call: name, atMs: live.clock.now() });
          live.calls[name].current().resolve(HOLDS[name]);
        }
      }
    };
    /** Moves the simulated clock, answering calls as they come. */
    const advance = async (ms: number) => {
      live.clock.increment(ms);
      await answer();
    };
    const send = async (type: string) => {
      live.actor.send({ type } as never);
      await answer();
    };
    await answer();
    const state = () => live.published.at(-1)?.state;
    return { live, log, advance, send, state };
  }

  it("holds a fresh device on, then runs its watchdog; pets keep it on", async () => {
    const { live, advance, send, state } = await running();
    await send("power.on");
    expect(state()).toBe("on_hold");
    await advance(HOLDS.powerOn);
    expect(state()).toBe("on");
    for (let pet = 0; pet < 5; pet += 1) {
      await advance(WATCHDOG - 1);
      await send("watchdog.pet");
    }
    expect(state()).toBe("on");
    expect(live.reports).toEqual([]);
    live.stop();
  });

  it("restarts the interface at the first missed watchdog, and power-cycles at the second", async () => {
    const { live, log, advance, send, state } = await running();
    await send("power.on");
    await advance(HOLDS.powerOn);
    await advance(WATCHDOG);
    expect(live.reports).toEqual([{ type: "power.restart_interface", ifname: "wwan0" }]);
    expect(state()).toBe("on");
    const missed = live.clock.now();
    await advance(WATCHDOG);
    expect(state()).toBe("resetting");
    await advance(HOLDS.startPoweringOff);
    expect(state()).toBe("waiting_to_power_on");
    await advance(HOLDS.powerOff);
    expect(state()).toBe("on_hold");
    expect(log.filter((entry) => entry.atMs >= missed)).toEqual([
      { call: "startPoweringOff", atMs: missed + WATCHDOG },
      { call: "powerOff", atMs: missed + WATCHDOG + HOLDS.startPoweringOff },
      { call: "powerOn", atMs: missed + WATCHDOG + HOLDS.startPoweringOff + HOLDS.powerOff },
    ]);
    expect(live.published.at(-1)?.cycles).toBe(1);
    live.stop();
  });

  it("lets a power-off during the on-hold wait for the hold's end", async () => {
    const { live, log, advance, send, state } = await running();
    await send("power.on");
    await advance(HOLDS.powerOn / 2);
    await send("power.off");
    expect(state()).toBe("waiting_to_power_off");
    await advance(HOLDS.powerOn / 2 - 1);
    expect(log.map((entry) => entry.call)).not.toContain("startPoweringOff");
    await advance(1);
    expect(state()).toBe("powering_off");
    await advance(HOLDS.startPoweringOff);
    expect(state()).toBe("off_hold");
    await advance(HOLDS.powerOff);
    expect(state()).toBe("off");
    live.stop();
  });

  it("turns a power-on while powering off into a reset, without restarting the shutdown's wait", async () => {
    const { live, log, advance, send, state } = await running();
    await send("power.on");
    await advance(HOLDS.powerOn);
    await send("power.off");
    await advance(TRANSIENT_POWER_OFF_MS);
    expect(state()).toBe("powering_off");
    const shutdown = live.clock.now();
    await advance(HOLDS.startPoweringOff / 2);
    await send("power.on");
    expect(state()).toBe("resetting");
    await advance(HOLDS.startPoweringOff / 2);
    expect(log.at(-1)).toEqual({ call: "powerOff", atMs: shutdown + HOLDS.startPoweringOff });
    // And the minimum off time still holds before power comes back.
    await advance(HOLDS.powerOff - 1);
    expect(state()).toBe("waiting_to_power_on");
    await advance(1);
    expect(state()).toBe("on_hold");
    live.stop();
  });

  it("forces a reset without waiting for the on-hold", async () => {
    const { live, log, send, state } = await running();
    await send("power.on");
    expect(state()).toBe("on_hold");
    await send("power.force_reset");
    expect(state()).toBe("resetting");
    expect(log.at(-1)?.call).toBe("startPoweringOff");
    live.stop();
  });

  it("takes a power-off followed at once by a power-on (a reapplied configuration) as nothing", async () => {
    const { live, log, advance, send, state } = await running();
    await send("power.on");
    await advance(HOLDS.powerOn);
    const calls = log.length;
    await send("power.off");
    await send("power.on");
    await advance(TRANSIENT_POWER_OFF_MS * 10);
    expect(state()).toBe("on");
    expect(log).toHaveLength(calls);
    live.stop();
  });

  it("cycles a device that never recovers at most the limit per window, then backs off exponentially", async () => {
    const limit = 2;
    const backoffBaseMs = 3_600_000;
    const { live, log, advance, send } = await running({
      maxCyclesPerWindow: limit,
      cycleWindowMs: 3_600_000,
      backoffBaseMs,
      backoffMaxMs: 4 * backoffBaseMs,
      restartFirst: false,
    });
    await send("power.on");
    // Eight hours of a device that never says it works, in one-minute steps.
    for (let minute = 0; minute < 8 * 60; minute += 1) await advance(60_000);
    const cycles = log.filter((entry) => entry.call === "startPoweringOff").map((e) => e.atMs);
    const perHour = (hour: number) =>
      cycles.filter((at) => at >= hour * 3_600_000 && at < (hour + 1) * 3_600_000).length;
    expect(perHour(0)).toBe(limit);
    for (let hour = 1; hour < 8; hour += 1) expect(perHour(hour)).toBeLessThanOrEqual(limit);
    const gaps = cycles.slice(limit).map((at, index) => at - (cycles[index + limit - 1] ?? 0));
    // Each cycle over the limit waits longer than the one before it.
    expect(gaps.length).toBeGreaterThanOrEqual(2);
    expect(gaps[1]).toBeGreaterThan(gaps[0] ?? 0);
    expect(gaps[0]).toBeGreaterThan(backoffBaseMs);
    expect(live.published.some((details) => details.state === "backing_off")).toBe(true);
    live.stop();
  });

  it("is disabled, not crashed, by an implementation that throws or hangs", async () => {
    const throwing = startLivePower(new CoverageRecorder());
    await settle();
    throwing.calls.init.current().resolve(0);
    await settle();
    throwing.actor.send({ type: "power.on" });
    await settle();
    throwing.calls.powerOn.current().reject(new Error("gpio busy"));
    await settle();
    expect(throwing.actor.getSnapshot().value).toBe("disabled");
    expect(throwing.failures).toEqual(["gpio busy"]);
    throwing.actor.send({ type: "power.force_reset" });
    await settle();
    expect(throwing.running()).toEqual([]);
    expect(throwing.host.getSnapshot().status).toBe("active");
    throwing.stop();

    const hanging = startLivePower(new CoverageRecorder());
    await settle();
    hanging.clock.increment(SETTINGS.callTimeoutMs);
    await settle();
    expect(hanging.actor.getSnapshot().value).toBe("disabled");
    expect(hanging.failures).toEqual([`no answer within ${SETTINGS.callTimeoutMs} ms`]);
    // The hung call was abandoned.
    expect(hanging.calls.init.calls[0]?.signal.aborted).toBe(true);
    hanging.stop();
  });
});
