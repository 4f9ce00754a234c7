import { describe, expect, it } from "vitest";
import {
  type AnyStateMachine,
  createActor,
  type EventObject,
  fromCallback,
  initialTransition,
  SimulatedClock,
  type Snapshot,
  transition,
} from "xstate";
import {
  DEFAULT_WIFI_TIMINGS,
  describeReasonCode,
  isAssociated,
  type PingInput,
  type SupplicantCommand,
  type SupplicantInput,
  type SupplicantReport,
  type WifiContext,
  type WifiMode,
  type WifiStateName,
  type WifiTimings,
  WifiTimingsError,
  wifiMachine,
  wifiStateName,
  wifiTimings,
} from "../../machines/wifi.js";
import type { WpaEvent } from "../../src/technologies/wifi/wpa-events.js";
import { controlledPromise, settle } from "../model/controlled-promise.js";
import { CoverageRecorder } from "../model/coverage.js";
import type { ModelPath, ModelStep } from "../model/paths.js";
import { describeEveryEdge } from "../model/walk.js";

/**
 * Timings of the walk: distinct, so that two timers rarely fall due at the
 * same instant (the walk never fires those), and a backoff that reaches its
 * cap within a few restarts.
 */
const TIMINGS: WifiTimings = {
  pingIntervalMs: 7_000,
  pingTimeoutMs: 3_000,
  scanIntervalMs: 5_000,
  restartDelayMs: 1_000,
  maxRestartDelayMs: 4_000,
  healthyRunMs: 14_000,
  startTimeoutMs: 11_000,
};

const AP_A = "02:00:00:00:0a:01";
const AP_B = "02:00:00:00:0a:02";
const STATION_1 = "02:00:00:00:5a:01";
const STATION_2 = "02:00:00:00:5a:02";
const SSID = "lab-wpa2";

type AnyEvent = EventObject & Record<string, unknown>;

const wpa = (event: WpaEvent): AnyEvent => ({ type: "supplicant.event", event });

const tempDisabled = (reason: string, authFailures = 2, durationSeconds = 20): WpaEvent => ({
  kind: "ssid_temp_disabled",
  networkId: 0,
  ssid: SSID,
  authFailures,
  durationSeconds,
  reason,
});

const CLIENT_EVENTS: WpaEvent[] = [
  { kind: "trying", step: "associate", bssid: AP_A, ssid: SSID, frequency: 2412 },
  { kind: "trying", step: "authenticate", bssid: AP_B, ssid: SSID },
  { kind: "connected", bssid: AP_A, networkId: 0 },
  { kind: "connected", bssid: AP_B, networkId: 0 },
  { kind: "disconnected", bssid: AP_A, reason: 3, locallyGenerated: false },
  tempDisabled("WRONG_KEY"),
  tempDisabled("CONN_FAILED"),
  { kind: "network_not_found" },
  { kind: "eap_failure" },
  { kind: "assoc_reject", bssid: AP_A, statusCode: 17, timedOut: false },
  { kind: "assoc_reject", statusCode: 1, timedOut: true },
  { kind: "auth_reject", bssid: AP_B, statusCode: 15 },
];

const AP_EVENTS: WpaEvent[] = [
  { kind: "ap_enabled" },
  { kind: "ap_disabled" },
  { kind: "station_connected", mac: STATION_1 },
  { kind: "station_connected", mac: STATION_2 },
  { kind: "station_disconnected", mac: STATION_1 },
];

/** Events neither mode acts on; `terminating` is followed by the exit, which is what counts. */
const IGNORED_EVENTS: WpaEvent[] = [
  { kind: "terminating" },
  { kind: "scan_results" },
  { kind: "ssid_reenabled", networkId: 0, ssid: SSID },
  { kind: "other", text: "CTRL-EVENT-REGDOM-CHANGE init=USER type=COUNTRY alpha2=DE" },
];

/** The other mode's events, to show each mode ignores them. */
const FOREIGN: Record<WifiMode, WpaEvent[]> = {
  client: [{ kind: "ap_enabled" }, { kind: "station_connected", mac: STATION_1 }],
  ap: [
    { kind: "trying", step: "associate", bssid: AP_A, ssid: SSID },
    { kind: "connected", bssid: AP_A },
    { kind: "disconnected", bssid: AP_A, reason: 3, locallyGenerated: false },
  ],
};

const PROCESS_EVENTS: AnyEvent[] = [
  { type: "supplicant.ready" },
  { type: "supplicant.exited", code: 1, signal: null },
  { type: "supplicant.exited", code: null, signal: "SIGKILL" },
  { type: "supplicant.failed", reason: "ctrl_iface: bind failed" },
  { type: "xstate.error.actor.supplicant", error: new Error("supplicant actor bug") },
];

const PING_EVENTS: AnyEvent[] = [
  { type: "xstate.done.actor.ping", output: true },
  { type: "xstate.done.actor.ping", output: false },
  { type: "xstate.error.actor.ping", error: new Error("ctrl_iface: ECONNREFUSED") },
];

type MachineSnapshot = Snapshot<unknown> & { value: unknown; context: WifiContext };

const isAlive = (snapshot: MachineSnapshot) =>
  typeof snapshot.value === "object" && snapshot.value !== null && "alive" in snapshot.value;
const isPinging = (snapshot: MachineSnapshot) =>
  JSON.stringify(snapshot.value).includes('"health":"pinging"');

function eventsFor(mode: WifiMode, snapshot: MachineSnapshot): AnyEvent[] {
  if (!isAlive(snapshot)) return [{ type: "scan.request" }];
  const supplicant = [
    ...(mode === "client" ? CLIENT_EVENTS : AP_EVENTS),
    ...FOREIGN[mode],
    ...IGNORED_EVENTS,
  ].map(wpa);
  return [
    { type: "scan.request" },
    ...PROCESS_EVENTS,
    ...supplicant,
    ...(isPinging(snapshot) ? PING_EVENTS : []),
  ];
}

interface Timer {
  id: string;
  event: EventObject;
  dueMs: number;
}

/** A node of the walk: the machine's snapshot plus what its clock would hold. */
interface TimedState {
  snapshot: MachineSnapshot;
  nowMs: number;
  timers: Timer[];
  /** Scans asked of wpa_supplicant so far. */
  scans: number;
}

/** What a step of a walked path expects besides the state. */
interface StepExpectation {
  nowMs: number;
  scans: number;
  /** The machine's timers, as the model's clock holds them. */
  timers: Timer[];
}

interface WifiPath extends ModelPath {
  mode: WifiMode;
}

const expectations = new WeakMap<ModelStep, StepExpectation>();

/** The effects of a pure transition on the simulated clock and the supplicant. */
function applyActions(state: TimedState, next: MachineSnapshot, actions: unknown[]): TimedState {
  let timers = state.timers;
  let scans = state.scans;
  for (const action of actions as Array<{ type: string; params?: Record<string, unknown> }>) {
    const params = action.params ?? {};
    if (action.type === "xstate.raise" && typeof params.delay === "number") {
      const id = String(params.id);
      timers = [
        ...timers.filter((timer) => timer.id !== id),
        { id, event: params.event as EventObject, dueMs: state.nowMs + params.delay },
      ];
    } else if (action.type === "xstate.cancel") {
      timers = timers.filter((timer) => timer.id !== params.sendId);
    } else if (action.type === "xstate.sendTo" && params.targetId === "supplicant") {
      if ((params.event as SupplicantCommand).type === "scan") scans += 1;
    }
  }
  return { snapshot: next, nowMs: state.nowMs, timers, scans };
}

/** The timer that fires next, unless two fall due at once (their order is the clock's business). */
function nextTimer(state: TimedState): Timer | undefined {
  const [first, second] = [...state.timers].sort((a, b) => a.dueMs - b.dueMs);
  return first && first.dueMs !== second?.dueMs ? first : undefined;
}

function step(machine: AnyStateMachine, state: TimedState, event: AnyEvent): TimedState {
  if (event.type === "clock.tick") {
    const timer = nextTimer(state);
    if (!timer) throw new Error("no timer to fire");
    const fired = {
      ...state,
      nowMs: timer.dueMs,
      timers: state.timers.filter((t) => t !== timer),
    };
    const [next, actions] = transition(machine, state.snapshot as never, timer.event);
    return applyActions(fired, next as MachineSnapshot, actions);
  }
  const [next, actions] = transition(machine, state.snapshot as never, event);
  return applyActions(state, next as MachineSnapshot, actions);
}

/**
 * The project's edge-covering walk (`test/model/paths.ts`), with time: a
 * `clock.tick` moves the clock to the next timer that falls due, as the live
 * actor's SimulatedClock will. Nodes are told apart by the state, what the
 * published context depends on, and the order of the running timers.
 */
function timedEdgeCoveringPaths(mode: WifiMode): WifiPath[] {
  const input = { ifname: "wlan0", mode, timings: TIMINGS };
  const [initial, initialActions] = initialTransition(wifiMachine, input);
  const start = applyActions(
    { snapshot: initial as MachineSnapshot, nowMs: 0, timers: [], scans: 0 },
    initial as MachineSnapshot,
    initialActions,
  );
  const key = (state: TimedState) => {
    const { value, context } = state.snapshot;
    const timers = [...state.timers].sort((a, b) => a.dueMs - b.dueMs).map((timer) => timer.id);
    return JSON.stringify([value, context.currentAp?.bssid, context.clients, timers]);
  };
  const stepOf = (event: AnyEvent, state: TimedState): ModelStep => {
    const modelStep = { event, state: state.snapshot };
    expectations.set(modelStep, { nowMs: state.nowMs, scans: state.scans, timers: state.timers });
    return modelStep;
  };
  const toState = new Map<string, ModelStep[]>([
    [key(start), [stepOf({ type: "xstate.init" }, start)]],
  ]);
  const queue: TimedState[] = [start];
  const paths: WifiPath[] = [];
  for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
    const prefix = toState.get(key(state)) ?? [];
    const timer = nextTimer(state);
    const events = [
      ...eventsFor(mode, state.snapshot),
      ...(timer ? [{ type: "clock.tick", toMs: timer.dueMs, timer: timer.id }] : []),
    ];
    for (const event of events) {
      const next = step(wifiMachine, state, event);
      const steps = [...prefix, stepOf(event, next)];
      const label = event.type === "supplicant.event" ? (event.event as WpaEvent).kind : event.type;
      paths.push({
        name: `${mode} ${JSON.stringify(state.snapshot.value)} --${label}--> ${JSON.stringify(next.snapshot.value)}`,
        steps,
        mode,
      });
      const nextKey = key(next);
      if (!toState.has(nextKey)) {
        toState.set(nextKey, steps);
        queue.push(next);
      }
    }
  }
  return paths;
}

/** The name each state value must publish, worked out independently of `wifiStateName`. */
function expectedName(value: unknown): WifiStateName {
  const text = JSON.stringify(value);
  const names: Array<[string, WifiStateName]> = [
    ['"restarting"', "restarting"],
    ['"alive":"starting"', "starting"],
    ['"client":"disconnected"', "disconnected"],
    ['"client":"associating"', "associating"],
    ['"client":"connected"', "connected"],
    ['"client":"authFailed"', "auth_failed"],
    ['"ap":"starting"', "ap_starting"],
    ['"ap":"enabled"', "ap_enabled"],
  ];
  const found = names.find(([fragment]) => text.includes(fragment));
  if (!found) throw new Error(`no published name for ${text}`);
  return found[1];
}

/** A wpa_supplicant stand-in: one run per start of the supplicant actor. */
function fakeSupplicant() {
  interface Run {
    input: SupplicantInput;
    commands: SupplicantCommand[];
    report: (report: SupplicantReport) => void;
    stopped: boolean;
    /** The actor's next command throws: a bug in the shell's actor. */
    crashNext: boolean;
  }
  const runs: Run[] = [];
  const logic = fromCallback<SupplicantCommand, SupplicantInput>(({ input, sendBack, receive }) => {
    const run: Run = {
      input,
      commands: [],
      report: (report) => sendBack(report),
      stopped: false,
      crashNext: false,
    };
    runs.push(run);
    receive((command) => {
      if (run.crashNext) {
        // XState runs no cleanup for an actor that failed: the run ends here.
        run.stopped = true;
        throw new Error("supplicant actor bug");
      }
      run.commands.push(command);
    });
    return () => {
      run.stopped = true;
    };
  });
  const running = () => runs.filter((run) => !run.stopped);
  return {
    logic,
    runs,
    running,
    current(): Run {
      const [run, ...others] = running();
      if (!run || others.length > 0) throw new Error(`${running().length} supplicants running`);
      return run;
    },
    scans: () =>
      runs.flatMap((run) => run.commands).filter((command) => command.type === "scan").length,
  };
}

function startLiveWifi(
  recorder: CoverageRecorder,
  mode: WifiMode,
  timings: Partial<WifiTimings> = TIMINGS,
) {
  const supplicant = fakeSupplicant();
  const ping = controlledPromise<boolean, PingInput>();
  const clock = new SimulatedClock();
  const machine = wifiMachine.provide({
    actors: { supplicant: supplicant.logic, ping: ping.logic },
  });
  const errors: unknown[] = [];
  const actor = createActor(machine, {
    input: { ifname: "wlan0", mode, timings },
    clock,
    inspect: recorder.inspect,
  });
  const names: WifiStateName[] = [];
  actor.subscribe({
    next: (snapshot) => {
      const name = wifiStateName(snapshot);
      if (names.at(-1) !== name) names.push(name);
    },
    error: (error) => errors.push(error),
  });
  actor.start();

  async function perform(event: AnyEvent): Promise<void> {
    if (event.type === "clock.tick") {
      clock.increment((event.toMs as number) - clock.now());
    } else if (event.type === "xstate.done.actor.ping") {
      ping.current().resolve(event.output as boolean);
    } else if (event.type === "xstate.error.actor.ping") {
      ping.current().reject(event.error);
    } else if (event.type === "xstate.error.actor.supplicant") {
      supplicant.current().crashNext = true;
      actor.getSnapshot().children.supplicant?.send({ type: "scan" });
    } else if (event.type.startsWith("supplicant.")) {
      supplicant.current().report(event as SupplicantReport);
    } else {
      actor.send(event as never);
    }
    await settle();
  }

  const state = () => wifiStateName(actor.getSnapshot());
  return {
    actor,
    supplicant,
    ping,
    clock,
    errors,
    names,
    state,
    perform,
    /** Moves the simulated clock by `ms`. */
    advance: async (ms: number) => {
      clock.increment(ms);
      await settle();
    },
    /**
     * Moves the simulated clock by `ms` while wpa_supplicant answers every
     * PING, in steps short enough that none times out.
     */
    advanceAnswering: async (ms: number) => {
      const stepMs = actor.getSnapshot().context.timings.pingTimeoutMs - 1;
      for (let left = ms; left > 0; left -= stepMs) {
        clock.increment(Math.min(stepMs, left));
        await settle();
        for (const call of ping.calls)
          if (!call.settled && !call.signal.aborted) call.resolve(true);
        await settle();
      }
    },
    report: (report: SupplicantReport) => perform(report as AnyEvent),
    wpa: (event: WpaEvent) => perform(wpa(event)),
    stop: () => actor.stop(),
  };
}

const paths = [...timedEdgeCoveringPaths("client"), ...timedEdgeCoveringPaths("ap")];

describeEveryEdge("WiFi machine, every path of its graph on a live actor", {
  machine: wifiMachine,
  paths,
  minimumPaths: 300,
  start: (recorder, path: WifiPath) => startLiveWifi(recorder, path.mode),
  check: (live, modelStep) => {
    const snapshot = live.actor.getSnapshot();
    const expected = expectations.get(modelStep);
    expect(snapshot.status).toBe("active");
    expect(live.errors).toEqual([]);
    expect(snapshot.value).toEqual(modelStep.state.value);
    // Everything the shell publishes is what the model computed.
    expect(snapshot.context).toEqual((modelStep.state as MachineSnapshot).context);
    expect(live.clock.now()).toBe(expected?.nowMs);
    expect(live.supplicant.scans()).toBe(expected?.scans);

    const name = expectedName(snapshot.value);
    expect(wifiStateName(snapshot)).toBe(name);
    // Carrier for routing exactly while associated or serving.
    expect(isAssociated(snapshot)).toBe(name === "connected" || name === "ap_enabled");
    expect(snapshot.context.currentAp !== undefined).toBe(name === "connected");
    if (name !== "ap_enabled") expect(snapshot.context.clients).toEqual([]);
    // One wpa_supplicant while alive, none while waiting to restart; a PING only while pinging.
    expect(live.supplicant.running()).toHaveLength(name === "restarting" ? 0 : 1);
    // Never unassociated without a scan to come within the interval; never running without a PING to come.
    const dueWithin = (timer: string, ms: number) =>
      expected?.timers.some((t) => t.id.includes(timer) && t.dueMs <= (expected?.nowMs ?? 0) + ms);
    if (name === "disconnected" || name === "auth_failed") {
      expect(dueWithin("scanInterval", TIMINGS.scanIntervalMs)).toBe(true);
    }
    if (isAlive(snapshot as MachineSnapshot) && name !== "starting") {
      expect(
        dueWithin("pingInterval", TIMINGS.pingIntervalMs) ||
          dueWithin("pingTimeout", TIMINGS.pingTimeoutMs),
      ).toBe(true);
    }
    const pinging = isPinging(snapshot as MachineSnapshot);
    expect(live.ping.calls.filter((call) => !call.settled && !call.signal.aborted)).toHaveLength(
      pinging ? 1 : 0,
    );
  },
});

describe("WiFi client", () => {
  const T = DEFAULT_WIFI_TIMINGS;

  async function running(mode: WifiMode = "client", timings: Partial<WifiTimings> = {}) {
    const live = startLiveWifi(new CoverageRecorder(), mode, timings);
    await live.report({ type: "supplicant.ready" });
    return live;
  }

  async function connect(live: Awaited<ReturnType<typeof running>>, bssid = AP_A) {
    await live.wpa({ kind: "trying", step: "associate", bssid, ssid: SSID });
    await live.wpa({ kind: "connected", bssid, networkId: 0 });
  }

  it("scans at once when wpa_supplicant is ready, and associates", async () => {
    const live = startLiveWifi(new CoverageRecorder(), "client", {});
    expect(live.state()).toBe("starting");
    expect(live.supplicant.current().input).toEqual({
      ifname: "wlan0",
      mode: "client",
      restarts: 0,
    });
    await live.report({ type: "supplicant.ready" });
    expect(live.state()).toBe("disconnected");
    expect(live.supplicant.scans()).toBe(1);
    await live.wpa({ kind: "trying", step: "authenticate", bssid: AP_A, ssid: SSID });
    expect(live.state()).toBe("associating");
    await live.wpa({ kind: "connected", bssid: AP_A, networkId: 0 });
    expect(live.state()).toBe("connected");
    expect(isAssociated(live.actor.getSnapshot())).toBe(true);
    expect(live.actor.getSnapshot().context.currentAp).toEqual({ bssid: AP_A, ssid: SSID });
    live.stop();
  });

  it("says a wrong passphrase names its SSID, keeps scanning, and connects once the key works", async () => {
    const live = await running();
    await live.wpa({ kind: "trying", step: "associate", bssid: AP_A, ssid: SSID });
    await live.wpa({ kind: "disconnected", bssid: AP_A, reason: 15, locallyGenerated: true });
    await live.wpa(tempDisabled("WRONG_KEY", 1, 10));
    expect(live.state()).toBe("auth_failed");
    expect(isAssociated(live.actor.getSnapshot())).toBe(false);
    expect(live.actor.getSnapshot().context.lastEvent).toEqual({
      kind: "auth_failed",
      reason: `wrong passphrase (WRONG_KEY) for "${SSID}"`,
      ssid: SSID,
      failures: 1,
    });
    // wpa_supplicant retries by itself; the state keeps saying why until one succeeds.
    await live.wpa({ kind: "trying", step: "associate", bssid: AP_A, ssid: SSID });
    expect(live.state()).toBe("auth_failed");
    const scans = live.supplicant.scans();
    await live.advanceAnswering(T.scanIntervalMs - 1);
    expect(live.supplicant.scans()).toBe(scans);
    await live.advanceAnswering(1);
    expect(live.supplicant.scans()).toBe(scans + 1);
    await live.advanceAnswering(T.scanIntervalMs);
    expect(live.supplicant.scans()).toBe(scans + 2);
    await live.wpa({ kind: "connected", bssid: AP_A });
    expect(live.state()).toBe("connected");
    expect(live.names).toEqual([
      "starting",
      "disconnected",
      "associating",
      "disconnected",
      "auth_failed",
      "connected",
    ]);
    live.stop();
  });

  it("counts a failed EAP exchange or a refused association as an authentication failure, not an unanswered one", async () => {
    const eap = await running();
    await eap.wpa({ kind: "trying", step: "associate", bssid: AP_B, ssid: "lab-eap" });
    await eap.wpa({ kind: "eap_failure" });
    expect(eap.state()).toBe("auth_failed");
    expect(eap.actor.getSnapshot().context.lastEvent?.reason).toBe(
      'EAP authentication failed for "lab-eap"',
    );
    eap.stop();

    const unanswered = await running();
    await unanswered.wpa({ kind: "trying", step: "associate", bssid: AP_A, ssid: SSID });
    await unanswered.wpa({ kind: "assoc_reject", bssid: AP_A, statusCode: 1, timedOut: true });
    expect(unanswered.state()).toBe("disconnected");
    expect(unanswered.actor.getSnapshot().context.lastEvent?.reason).toBe(
      `no answer from ${AP_A} for "${SSID}" to the association request`,
    );
    await unanswered.wpa({ kind: "assoc_reject", bssid: AP_A, statusCode: 17, timedOut: false });
    expect(unanswered.state()).toBe("auth_failed");
    expect(unanswered.actor.getSnapshot().context.lastEvent).toMatchObject({
      kind: "assoc_rejected",
      code: 17,
    });
    unanswered.stop();
  });

  it("follows an access point that goes away, scans every interval while it is gone, and reconnects", async () => {
    const live = await running();
    await connect(live);
    const scansWhileConnected = live.supplicant.scans();
    await live.advanceAnswering(3 * T.scanIntervalMs);
    expect(live.supplicant.scans()).toBe(scansWhileConnected);

    await live.wpa({ kind: "disconnected", bssid: AP_A, reason: 4, locallyGenerated: true });
    expect(live.state()).toBe("disconnected");
    expect(isAssociated(live.actor.getSnapshot())).toBe(false);
    const { context } = live.actor.getSnapshot();
    expect(context.currentAp).toBeUndefined();
    expect(context.lastEvent).toEqual({
      kind: "disconnected",
      reason: `disconnected from ${AP_A}: reason 4 (inactivity), by this station`,
      ssid: SSID,
      bssid: AP_A,
      code: 4,
    });
    // The first scan at once, then one per interval; "not found" changes nothing.
    expect(live.supplicant.scans()).toBe(scansWhileConnected + 1);
    for (let interval = 1; interval <= 3; interval += 1) {
      await live.wpa({ kind: "network_not_found" });
      await live.advanceAnswering(T.scanIntervalMs);
      expect(live.state()).toBe("disconnected");
      expect(live.supplicant.scans()).toBe(scansWhileConnected + 1 + interval);
    }
    expect(live.actor.getSnapshot().context.lastEvent?.kind).toBe("network_not_found");

    await connect(live);
    expect(live.state()).toBe("connected");
    const scansAfter = live.supplicant.scans();
    await live.advanceAnswering(2 * T.scanIntervalMs);
    expect(live.supplicant.scans()).toBe(scansAfter);
    live.stop();
  });

  it("stays connected while roaming between two access points of one SSID", async () => {
    const live = await running();
    await connect(live, AP_A);
    const before = live.names.length;
    await live.wpa({ kind: "trying", step: "authenticate", bssid: AP_B, ssid: SSID });
    await live.wpa({ kind: "trying", step: "associate", bssid: AP_B, ssid: SSID });
    expect(live.state()).toBe("connected");
    await live.wpa({ kind: "connected", bssid: AP_B, networkId: 0 });
    const { context } = live.actor.getSnapshot();
    expect(context.currentAp).toEqual({ bssid: AP_B, ssid: SSID });
    expect(context.lastEvent).toEqual({
      kind: "roamed",
      reason: `roamed from ${AP_A} to ${AP_B} for "${SSID}"`,
      ssid: SSID,
      bssid: AP_B,
    });
    // And back.
    await connect(live, AP_A);
    expect(live.actor.getSnapshot().context.currentAp?.bssid).toBe(AP_A);
    expect(live.names.slice(before - 1)).toEqual(["connected"]);
    expect(isAssociated(live.actor.getSnapshot())).toBe(true);
    live.stop();
  });

  it("forwards a requested scan to wpa_supplicant once it runs", async () => {
    const live = startLiveWifi(new CoverageRecorder(), "client", {});
    await live.perform({ type: "scan.request" });
    expect(live.supplicant.scans()).toBe(0);
    await live.report({ type: "supplicant.ready" });
    await connect(live);
    const scans = live.supplicant.scans();
    await live.perform({ type: "scan.request" });
    expect(live.supplicant.scans()).toBe(scans + 1);
    expect(live.state()).toBe("connected");
    live.stop();
  });
});

describe("WiFi access point", () => {
  it("keeps the list of associated stations while enabled", async () => {
    const live = startLiveWifi(new CoverageRecorder(), "ap", {});
    expect(live.supplicant.current().input.mode).toBe("ap");
    await live.report({ type: "supplicant.ready" });
    expect(live.state()).toBe("ap_starting");
    expect(isAssociated(live.actor.getSnapshot())).toBe(false);
    await live.wpa({ kind: "ap_enabled" });
    expect(live.state()).toBe("ap_enabled");
    expect(isAssociated(live.actor.getSnapshot())).toBe(true);
    const clients = () => live.actor.getSnapshot().context.clients;
    await live.wpa({ kind: "station_connected", mac: STATION_1 });
    await live.wpa({ kind: "station_connected", mac: STATION_2 });
    await live.wpa({ kind: "station_connected", mac: STATION_1 });
    expect(clients()).toEqual([STATION_1, STATION_2]);
    await live.wpa({ kind: "station_disconnected", mac: STATION_1 });
    expect(clients()).toEqual([STATION_2]);
    await live.wpa({ kind: "ap_disabled" });
    expect(live.state()).toBe("ap_starting");
    expect(clients()).toEqual([]);
    expect(live.actor.getSnapshot().context.lastEvent?.kind).toBe("ap_disabled");
    await live.wpa({ kind: "ap_enabled" });
    await live.wpa({ kind: "station_connected", mac: STATION_2 });
    // A dead wpa_supplicant takes its stations with it.
    await live.report({ type: "supplicant.exited", code: 1, signal: null });
    expect(live.state()).toBe("restarting");
    expect(clients()).toEqual([]);
    live.stop();
  });
});

describe("WiFi supplicant supervision", () => {
  const T = DEFAULT_WIFI_TIMINGS;

  /** Time spent in `restarting` before the next start, and whether the start came then. */
  async function restartDelayOf(live: ReturnType<typeof startLiveWifi>): Promise<number> {
    expect(live.state()).toBe("restarting");
    const runs = live.supplicant.runs.length;
    const delay = live.actor.getSnapshot().context.restartDelayMs;
    await live.advance(delay - 1);
    expect(live.state()).toBe("restarting");
    expect(live.supplicant.runs.length).toBe(runs);
    await live.advance(1);
    expect(live.state()).toBe("starting");
    expect(live.supplicant.runs.length).toBe(runs + 1);
    return delay;
  }

  /** Answers every PING for `ms`. */
  async function healthyFor(live: ReturnType<typeof startLiveWifi>, ms: number): Promise<void> {
    for (let elapsed = 0; elapsed < ms; elapsed += T.pingIntervalMs) {
      await live.advance(T.pingIntervalMs);
      live.ping.current().resolve(true);
      await settle();
    }
  }

  it("restarts a wpa_supplicant that exits after 1 s, then 2 s, and after 1 s again once a run was healthy", async () => {
    const live = startLiveWifi(new CoverageRecorder(), "client", {});
    await live.report({ type: "supplicant.ready" });
    await live.report({ type: "supplicant.exited", code: 1, signal: null });
    expect(live.actor.getSnapshot().context.lastEvent).toEqual({
      kind: "restarted",
      reason: "wpa_supplicant exited with code 1",
    });
    expect(await restartDelayOf(live)).toBe(1_000);
    expect(live.supplicant.current().input.restarts).toBe(1);

    await live.report({ type: "supplicant.ready" });
    await live.report({ type: "supplicant.exited", code: null, signal: "SIGSEGV" });
    expect(live.actor.getSnapshot().context.lastEvent?.reason).toBe(
      "wpa_supplicant was killed by SIGSEGV",
    );
    expect(await restartDelayOf(live)).toBe(2_000);

    await live.report({ type: "supplicant.ready" });
    await healthyFor(live, T.healthyRunMs - T.pingIntervalMs);
    expect(live.actor.getSnapshot().context.restartDelayMs).toBe(4_000);
    await healthyFor(live, T.pingIntervalMs);
    expect(live.actor.getSnapshot().context.restartDelayMs).toBe(1_000);
    await live.report({ type: "supplicant.exited", code: 0, signal: null });
    expect(await restartDelayOf(live)).toBe(1_000);
    expect(live.actor.getSnapshot().context.restarts).toBe(3);
    live.stop();
  });

  it("doubles the wait for each quick failure up to the limit", async () => {
    const live = startLiveWifi(new CoverageRecorder(), "client", {});
    const delays: number[] = [];
    for (let failure = 0; failure < 8; failure += 1) {
      await live.report({ type: "supplicant.failed", reason: "ctrl_iface: bind failed" });
      delays.push(await restartDelayOf(live));
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    expect(live.actor.getSnapshot().context.lastEvent?.reason).toBe(
      "wpa_supplicant could not start: ctrl_iface: bind failed",
    );
    live.stop();
  });

  it("restarts a wpa_supplicant that does not answer PING in time, and stops waiting for that PING", async () => {
    const live = startLiveWifi(new CoverageRecorder(), "client", {});
    await live.report({ type: "supplicant.ready" });
    await live.advance(T.pingIntervalMs - 1);
    expect(live.ping.calls).toHaveLength(0);
    await live.advance(1);
    const call = live.ping.current();
    expect(call.input).toEqual({ ifname: "wlan0", timeoutMs: T.pingTimeoutMs });
    await live.advance(T.pingTimeoutMs - 1);
    expect(live.state()).toBe("disconnected");
    await live.advance(1);
    expect(live.state()).toBe("restarting");
    expect(live.actor.getSnapshot().context.lastEvent?.reason).toBe(
      `wpa_supplicant stopped answering PING (no answer within ${T.pingTimeoutMs} ms)`,
    );
    expect(call.signal.aborted).toBe(true);
    expect(live.supplicant.running()).toHaveLength(0);
    live.stop();
  });

  it.each([
    ["an answer other than PONG", false, "wpa_supplicant stopped answering PING (no PONG)"],
    [
      "a failed PING",
      new Error("ctrl_iface: ECONNREFUSED"),
      "wpa_supplicant stopped answering PING (ctrl_iface: ECONNREFUSED)",
    ],
  ])("restarts on %s, in access-point mode too", async (_what, answer, reason) => {
    const live = startLiveWifi(new CoverageRecorder(), "ap", {});
    await live.report({ type: "supplicant.ready" });
    await live.wpa({ kind: "ap_enabled" });
    await live.advance(T.pingIntervalMs);
    if (answer instanceof Error) live.ping.current().reject(answer);
    else live.ping.current().resolve(answer);
    await settle();
    expect(live.state()).toBe("restarting");
    expect(live.actor.getSnapshot().context.lastEvent?.reason).toBe(reason);
    live.stop();
  });

  it("restarts a wpa_supplicant that never gets ready, and ignores its goodbye", async () => {
    const live = startLiveWifi(new CoverageRecorder(), "client", {});
    await live.advance(T.startTimeoutMs - 1);
    expect(live.state()).toBe("starting");
    await live.advance(1);
    expect(live.state()).toBe("restarting");
    expect(live.actor.getSnapshot().context.lastEvent?.reason).toBe(
      `wpa_supplicant was not ready within ${T.startTimeoutMs} ms`,
    );
    await live.advance(T.restartDelayMs);
    await live.report({ type: "supplicant.ready" });
    await live.wpa({ kind: "connected", bssid: AP_A });
    // wpa_supplicant says it is exiting: the exit itself is what restarts it.
    await live.wpa({ kind: "terminating" });
    expect(live.state()).toBe("connected");
    await live.report({ type: "supplicant.exited", code: 0, signal: null });
    expect(live.state()).toBe("restarting");
    live.stop();
  });
});

describe("WiFi machine helpers", () => {
  it("names the common 802.11 reason codes", () => {
    expect(describeReasonCode(3)).toBe("3 (deauth leaving)");
    expect(describeReasonCode(15)).toBe("15 (4-way handshake timeout)");
    expect(describeReasonCode(23)).toBe("23 (802.1X authentication failed)");
    expect(describeReasonCode(99)).toBe("99");
  });

  it.each([
    ["pingIntervalMs", 0],
    ["scanIntervalMs", -1],
    ["restartDelayMs", Number.NaN],
    ["healthyRunMs", Number.POSITIVE_INFINITY],
  ] as const)("refuses %s = %s, naming the field", (field, value) => {
    expect(() => wifiTimings({ [field]: value })).toThrow(
      expect.objectContaining({ name: "WifiTimingsError", field }),
    );
  });

  it("refuses a backoff limit below its start, and a machine with bad timings does not start", () => {
    expect(() => wifiTimings({ restartDelayMs: 5_000, maxRestartDelayMs: 1_000 })).toThrow(
      /timings\.maxRestartDelayMs: must not be below restartDelayMs/,
    );
    const actor = createActor(wifiMachine, {
      input: { ifname: "wlan0", mode: "client", timings: { pingTimeoutMs: 0 } },
    });
    const errors: unknown[] = [];
    actor.subscribe({ error: (error) => errors.push(error) });
    actor.start();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(WifiTimingsError);
  });
});
