import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SimulatedClock } from "xstate";
import {
  type CheckerContext,
  type CheckerReport,
  type ConnectivitySettings,
  type ConnectivityStatus,
  connectivityCheckerMachine,
  DEFAULT_CONNECTIVITY,
  lanBackoffMs,
  lossDetectionBoundMs,
  MOBILE_CONNECTIVITY,
  type ProbeInput,
  type ProbeResult,
  regularWaitMs,
} from "../../machines/connectivity-checker.js";
import { BURST_BYTES, budgetRate, DAY_MS, FIRST_PROBE_BYTES } from "../../machines/probe-budget.js";
import { controlledPromise, settle } from "../model/controlled-promise.js";
import { CoverageRecorder } from "../model/coverage.js";
import { hostChild } from "../model/host.js";
import { edgeCoveringPaths } from "../model/paths.js";
import { describeEveryEdge } from "../model/walk.js";

/** Damping forgets after two good checks here, so the graph stays small. */
const SETTINGS: ConnectivitySettings = {
  ...DEFAULT_CONNECTIVITY,
  dampingResetMs: 2 * DEFAULT_CONNECTIVITY.intervalMs,
};
const OK: ProbeResult = { ok: true, rttMs: 4, detail: "203.0.113.53:53 connected" };
const FAILED: ProbeResult = { ok: false, detail: "203.0.113.53:53 timed out" };

type AnyEvent = { type: string; [key: string]: unknown };

const environmentEvents: AnyEvent[] = [
  { type: "link.changed", usable: false, reason: "carrier lost" },
  { type: "link.changed", usable: true, reason: "carrier up" },
  { type: "traffic.seen" },
  { type: "traffic.stalled" },
  // The same timings again: a change of timings is a behaviour test, not a new graph.
  { type: "settings.changed", settings: SETTINGS },
];

const probeEvents: AnyEvent[] = [
  { type: "xstate.done.actor.probe", output: OK },
  { type: "xstate.done.actor.probe", output: FAILED },
  { type: "xstate.error.actor.probe", error: new Error("EPERM") },
];

const platformEvents: Record<string, AnyEvent[]> = {
  '"disconnected"': [{ type: "xstate.after.refill.connectivity.disconnected" }],
  '{"lan":"saving"}': [{ type: "xstate.after.budget.connectivity.lan.saving" }],
  '{"lan":"probing"}': probeEvents,
  '{"internet":"checking"}': probeEvents,
  '{"internet":"suspect"}': probeEvents,
  '{"lan":"holdingDown"}': [{ type: "xstate.after.holdDown.connectivity.lan.holdingDown" }],
  '{"lan":"waiting"}': [{ type: "xstate.after.lanInterval.connectivity.lan.waiting" }],
  '{"internet":"waiting"}': [{ type: "xstate.after.interval.connectivity.internet.waiting" }],
};

function serialize(snapshot: { value: unknown; context: CheckerContext }): string {
  const { usable, goodChecks, flaps, stableChecks, holdDownMs, trafficSeen, confirmRound } =
    snapshot.context;
  // Flaps beyond three only make the hold-down longer; two stable checks already forget them.
  return JSON.stringify([
    snapshot.value,
    usable,
    goodChecks,
    Math.min(flaps, 3),
    Math.min(stableChecks, 2),
    holdDownMs > 0,
    trafficSeen,
    confirmRound,
  ]);
}

const walkedMachine = connectivityCheckerMachine.provide({
  actions: { reportStatus: () => {}, reportCheck: () => {} },
});

const input = { ifname: "eth0", usable: true, settings: SETTINGS };

const paths = edgeCoveringPaths(walkedMachine, {
  input,
  events: (snapshot) => {
    const key = JSON.stringify((snapshot as unknown as { value: unknown }).value);
    return [...environmentEvents, ...(platformEvents[key] ?? [])];
  },
  serializeState: (snapshot) => serialize(snapshot as never),
});

function startLiveChecker(
  recorder: CoverageRecorder,
  settings: ConnectivitySettings = SETTINGS,
  usable = true,
) {
  const probe = controlledPromise<ProbeResult, ProbeInput>();
  const clock = new SimulatedClock();
  const machine = connectivityCheckerMachine.provide({ actors: { probe: probe.logic } });
  const {
    actor,
    host: hostActor,
    reports,
  } = hostChild<typeof machine, CheckerReport>(machine, {
    input: { ...input, usable, settings },
    clock,
    inspect: recorder.inspect,
    reportPrefix: "connectivity.",
  });
  // Each wait is scheduled on entry (in waitMs): the budget may make it longer than its own.
  const delays: Record<string, (context: CheckerContext) => number> = {
    "xstate.after.holdDown.connectivity.lan.holdingDown": (context) => context.holdDownMs,
    "xstate.after.lanInterval.connectivity.lan.waiting": (context) => context.waitMs,
    "xstate.after.interval.connectivity.internet.waiting": (context) => context.waitMs,
    "xstate.after.budget.connectivity.lan.saving": (context) => context.waitMs,
    "xstate.after.refill.connectivity.disconnected": (context) => context.waitMs,
  };

  async function perform(event: AnyEvent): Promise<void> {
    const delay = delays[event.type];
    if (delay) {
      clock.increment(delay(actor.getSnapshot().context));
    } else if (event.type === "xstate.done.actor.probe") {
      probe.current().resolve(event.output as ProbeResult);
    } else if (event.type === "xstate.error.actor.probe") {
      probe.current().reject(event.error);
    } else {
      actor.send(event as never);
    }
    await settle();
  }

  const statuses = () =>
    reports.flatMap((report) => (report.type === "connectivity.changed" ? [report.status] : []));
  return {
    actor,
    host: hostActor,
    probe,
    reports,
    statuses,
    clock,
    perform,
    stop: () => hostActor.stop(),
  };
}

function statusOf(value: unknown): ConnectivityStatus {
  return (
    typeof value === "string" ? value : Object.keys(value as object)[0]
  ) as ConnectivityStatus;
}

describeEveryEdge("connectivity checker machine, every path of its graph on a live actor", {
  machine: connectivityCheckerMachine,
  paths,
  minimumPaths: 40,
  start: (recorder) => startLiveChecker(recorder),
  check: (live, step) => {
    const snapshot = live.actor.getSnapshot();
    expect(snapshot.value).toEqual(step.state.value);
    // The parent always knows the status the checker is in.
    expect(live.statuses().at(-1)).toBe(statusOf(snapshot.value));
    // A probe runs exactly in the probing states, with the right number of hosts.
    const running = live.probe.calls.filter((call) => !call.settled && !call.signal.aborted);
    const key = JSON.stringify(snapshot.value);
    const probing = ['{"lan":"probing"}', '{"internet":"checking"}', '{"internet":"suspect"}'];
    expect(running.length).toBe(probing.includes(key) ? 1 : 0);
    if (key === '{"internet":"suspect"}')
      expect(running[0]?.input.count).toBe(SETTINGS.confirmProbes);
    // No address or carrier, never more than disconnected.
    if (!snapshot.context.usable) expect(snapshot.value).toBe("disconnected");
  },
  more: (recorder) => {
    it("waits for the budget before probing a link back too soon after a costly check", async () => {
      const live = startLiveChecker(recorder, SETTINGS);
      await settle();
      // A probe that cost more than the bucket held.
      live.probe.current().resolve({ ...FAILED, bytes: 2 * BURST_BYTES });
      await settle();
      live.actor.send({ type: "link.changed", usable: false, reason: "carrier lost" });
      await settle();
      live.actor.send({ type: "link.changed", usable: true, reason: "carrier up" });
      await settle();
      expect(live.actor.getSnapshot().value).toEqual({ lan: "saving" });
      // The next check is estimated to cost what the last one did.
      const { budgetBytes, waitMs, probeBytes } = live.actor.getSnapshot().context;
      expect(probeBytes).toBe(2 * BURST_BYTES);
      expect(waitMs).toBe(Math.ceil((probeBytes - budgetBytes) / budgetRate(SETTINGS)));
      const probes = live.probe.calls.length;
      live.clock.increment(waitMs - 1);
      await settle();
      expect(live.probe.calls.length).toBe(probes);
      live.clock.increment(1);
      await settle();
      expect(live.actor.getSnapshot().value).toEqual({ lan: "probing" });
      expect(live.probe.calls.length).toBe(probes + 1);
      live.host.stop();
    });

    it("starts disconnected on a link without carrier or address", async () => {
      const live = startLiveChecker(recorder, SETTINGS, false);
      await settle();
      expect(live.actor.getSnapshot().value).toBe("disconnected");
      expect(live.statuses()).toEqual(["disconnected"]);
      live.host.stop();
    });
  },
});

/** Drives a checker with probe outcomes taken in order (one per host tried); returns the statuses over time. */
async function runOutcomes(outcomes: readonly boolean[], settings = DEFAULT_CONNECTIVITY) {
  const live = startLiveChecker(new CoverageRecorder(), settings);
  let next = 0;
  const timeline: Array<{ atMs: number; status: ConnectivityStatus }> = [];
  const record = () => {
    const status = statusOf(live.actor.getSnapshot().value);
    if (timeline.at(-1)?.status !== status) timeline.push({ atMs: live.clock.now(), status });
  };
  record();
  while (next < outcomes.length) {
    const call = live.probe.calls.find(
      (candidate) => !candidate.settled && !candidate.signal.aborted,
    );
    if (call) {
      const tried = outcomes.slice(next, next + call.input.count);
      next += call.input.count;
      const ok = tried.some(Boolean);
      // A failed probe takes its whole timeout; a good one a few milliseconds.
      live.clock.increment(ok ? 5 : call.input.timeoutMs);
      call.resolve(ok ? OK : FAILED);
    } else {
      live.clock.increment(100);
    }
    await settle();
    record();
  }
  live.host.stop();
  return timeline;
}

describe("connectivity checker properties (fast-check)", () => {
  it("never changes its status because of a single failed probe", async () => {
    const reached = DEFAULT_CONNECTIVITY.recoveryChecks;
    await fc.assert(
      fc.asyncProperty(
        // Failures never come two in a row.
        fc
          .array(fc.boolean(), { minLength: 1, maxLength: 60 })
          .map((bits) => bits.flatMap((failure) => (failure ? [false, true] : [true]))),
        async (tail) => {
          const timeline = await runOutcomes([...Array(reached).fill(true), ...tail]);
          expect(timeline.map((entry) => entry.status)).toEqual(["lan", "internet"]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("reaches lan within the bound the settings give of a total loss, whatever came before", async () => {
    // Answers in 4 ms: the probes wait their floor, doubling per confirming round.
    const rtt = { srttMs: 4, rttvarMs: 0 };
    const bound = lossDetectionBoundMs(DEFAULT_CONNECTIVITY, rtt, FIRST_PROBE_BYTES);
    expect(bound).toBe(regularWaitMs(DEFAULT_CONNECTIVITY, FIRST_PROBE_BYTES) + 200 + 400 + 800);
    // A refused connect (142 B on the wire) every 3.1 s at most: 4 of the 4.2 MB a day.
    expect(regularWaitMs(DEFAULT_CONNECTIVITY, 142)).toBeLessThanOrEqual(3_100);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { maxLength: 40 }), async (history) => {
        const losses = Array(60).fill(false);
        const timeline = await runOutcomes([
          ...Array(3).fill(true),
          ...history,
          true,
          true,
          true,
          ...losses,
        ]);
        const lastInternet = timeline.findLastIndex((entry) => entry.status === "internet");
        if (lastInternet === -1) return;
        const drop = timeline[lastInternet + 1];
        expect(drop?.status).toBe("lan");
      }),
      { numRuns: 100 },
    );
    // And the bound itself, from a steady state.
    const timeline = await runOutcomes([true, true, true, ...Array(10).fill(false)]);
    const [, internet, lan] = timeline;
    expect(internet?.status).toBe("internet");
    expect(lan?.status).toBe("lan");
    // runOutcomes moves its clock in steps of 100 ms between probes.
    expect((lan?.atMs ?? Number.POSITIVE_INFINITY) - (internet?.atMs ?? 0)).toBeLessThanOrEqual(
      bound + 100,
    );
  });

  it("holds a flapping link down longer each time", async () => {
    // Three good checks, then a failed one and two failed confirming rounds of four.
    const flap = [...Array(3).fill(true), ...Array(9).fill(false)];
    const live = await runOutcomes([...flap, ...flap, ...flap, true, true, true]);
    const backs = live.filter((entry) => entry.status === "internet").map((entry) => entry.atMs);
    const drops = live
      .filter((entry) => entry.status === "lan")
      .slice(1)
      .map((entry) => entry.atMs);
    const recoveries = backs.slice(1).map((at, index) => at - (drops[index] ?? 0));
    expect(recoveries.length).toBeGreaterThanOrEqual(2);
    expect(recoveries[1]).toBeGreaterThan(
      (recoveries[0] ?? 0) + DEFAULT_CONNECTIVITY.holdDownBaseMs / 2,
    );
  });
});

describe("connectivity checker: passive evidence and new timings", () => {
  /** A checker at `internet` after its recovery checks. */
  async function atInternet() {
    const live = startLiveChecker(new CoverageRecorder(), DEFAULT_CONNECTIVITY);
    for (let good = 0; good < DEFAULT_CONNECTIVITY.recoveryChecks; good++) {
      await settle();
      live.probe.current().resolve(OK);
      await settle();
      if (good < DEFAULT_CONNECTIVITY.recoveryChecks - 1) {
        live.clock.increment(DEFAULT_CONNECTIVITY.recoveryIntervalMs);
      }
    }
    expect(live.actor.getSnapshot().value).toEqual({ internet: "waiting" });
    return live;
  }
  /** The wait the checker scheduled: its interval or the budget's pace, whichever is longer. */
  const nextWait = (live: Awaited<ReturnType<typeof atInternet>>) =>
    live.actor.getSnapshot().context.waitMs;
  const probesStarted = (live: Awaited<ReturnType<typeof atInternet>>) => live.probe.calls.length;
  const alives = (live: Awaited<ReturnType<typeof atInternet>>) =>
    live.reports.filter((report) => report.type === "connectivity.checked" && report.reachable)
      .length;

  it("counts traffic seen since the last check as a good check, without a probe", async () => {
    const live = await atInternet();
    const [probes, pets] = [probesStarted(live), alives(live)];
    live.actor.send({ type: "traffic.seen" });
    live.clock.increment(nextWait(live));
    await settle();
    expect(probesStarted(live)).toBe(probes);
    expect(alives(live)).toBe(pets + 1);
    expect(live.actor.getSnapshot().context.lastReason).toBe("traffic seen");
    // Evidence is used once: without new traffic, the next check probes.
    live.clock.increment(nextWait(live));
    await settle();
    expect(probesStarted(live)).toBe(probes + 1);
    live.stop();
  });

  it("probes at once when the device's connections only retransmit", async () => {
    const live = await atInternet();
    const probes = probesStarted(live);
    live.actor.send({ type: "traffic.stalled" });
    await settle();
    expect(live.actor.getSnapshot().value).toEqual({ internet: "checking" });
    expect(probesStarted(live)).toBe(probes + 1);
    live.stop();
  });

  it("does not count traffic from before it reached the Internet", async () => {
    const live = startLiveChecker(new CoverageRecorder(), DEFAULT_CONNECTIVITY);
    live.actor.send({ type: "traffic.seen" });
    await settle();
    expect(live.actor.getSnapshot().context.trafficSeen).toBe(false);
    live.stop();
  });

  it("takes new timings from a changed configuration at its next timer", async () => {
    const live = await atInternet();
    const probes = probesStarted(live);
    live.actor.send({ type: "settings.changed", settings: { intervalMs: 5_000 } });
    // The timer already running keeps its time; the next one uses the new interval.
    live.clock.increment(nextWait(live));
    await settle();
    live.probe.current().resolve(OK);
    await settle();
    live.clock.increment(4_999);
    await settle();
    expect(probesStarted(live)).toBe(probes + 1);
    live.clock.increment(1);
    await settle();
    expect(probesStarted(live)).toBe(probes + 2);
    expect(live.actor.getSnapshot().context.settings).toEqual({
      ...DEFAULT_CONNECTIVITY,
      intervalMs: 5_000,
    });
    live.stop();
  });
});

describe("connectivity checker: backoff while only the LAN answers", () => {
  type Live = ReturnType<typeof startLiveChecker>;
  const probes = (live: Live) => live.probe.calls.length;

  /** Settles the running probe; at `lan` the checker then waits for its next check. */
  async function answer(live: Live, ok: boolean): Promise<void> {
    live.probe.current().resolve(ok ? OK : FAILED);
    await settle();
  }

  /** Asserts the next probe starts exactly `waitMs` after now: not a millisecond earlier. */
  async function expectNextProbeAfter(live: Live, waitMs: number): Promise<void> {
    const before = probes(live);
    live.clock.increment(waitMs - 1);
    await settle();
    expect(probes(live)).toBe(before);
    live.clock.increment(1);
    await settle();
    expect(probes(live)).toBe(before + 1);
  }

  /** The waits the schedule should give: lanIntervalMs, doubling up to the ceiling. */
  function expectedWaits(settings: ConnectivitySettings, count: number): number[] {
    const ceiling = Math.max(settings.lanIntervalMs, settings.lanBackoffMaxMs);
    const waits = [settings.lanIntervalMs];
    while (waits.length < count) waits.push(Math.min(2 * (waits.at(-1) as number), ceiling));
    return waits;
  }

  /** Starts at `lan` (its first probe running) and fails `count` checks in a row, checking each wait. */
  async function failAtLan(live: Live, settings: ConnectivitySettings, count: number) {
    for (const wait of expectedWaits(settings, count)) {
      await answer(live, false);
      await expectNextProbeAfter(live, wait);
    }
  }

  it("waits 3, 6, 12, 24, then 30 s between failed checks by default (VintageNet: 10, 20, 30 s)", async () => {
    expect(expectedWaits(DEFAULT_CONNECTIVITY, 6)).toEqual([
      3_000, 6_000, 12_000, 24_000, 30_000, 30_000,
    ]);
    const live = startLiveChecker(new CoverageRecorder(), DEFAULT_CONNECTIVITY);
    await settle();
    expect(live.actor.getSnapshot().value).toEqual({ lan: "probing" });
    await failAtLan(live, DEFAULT_CONNECTIVITY, 6);
    expect(live.actor.getSnapshot().context.lanFailures).toBe(6);
    live.stop();
  });

  it("follows any lanIntervalMs and ceiling: doubling, never above the ceiling nor below the interval", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 100, max: 60_000 }),
        fc.integer({ min: 100, max: 600_000 }),
        fc.integer({ min: 1, max: 12 }),
        async (lanIntervalMs, lanBackoffMaxMs, count) => {
          const settings = { ...DEFAULT_CONNECTIVITY, lanIntervalMs, lanBackoffMaxMs };
          const live = startLiveChecker(new CoverageRecorder(), settings);
          await settle();
          await failAtLan(live, settings, count);
          live.stop();
        },
      ),
      { numRuns: 60 },
    );
  });

  it("starts the backoff over after a good check, and on each new stay at lan", async () => {
    const settings = DEFAULT_CONNECTIVITY;
    const live = startLiveChecker(new CoverageRecorder(), settings);
    await settle();
    await failAtLan(live, settings, 3);
    // Something answered: the recovery checks come quickly, and a failure among them waits the
    // first wait again.
    await answer(live, true);
    await expectNextProbeAfter(live, settings.recoveryIntervalMs);
    await failAtLan(live, settings, 2);
    // The link goes and comes back: a new stay at lan, probed at once, backing off from the start.
    live.actor.send({ type: "link.changed", usable: false, reason: "carrier lost" });
    await settle();
    const before = probes(live);
    live.actor.send({ type: "link.changed", usable: true, reason: "carrier up" });
    await settle();
    expect(probes(live)).toBe(before + 1);
    await failAtLan(live, settings, 2);
    live.stop();
  });

  it("keeps a mobile link at lan cheaper than a mobile link at internet", async () => {
    const mobile = { ...DEFAULT_CONNECTIVITY, ...MOBILE_CONNECTIVITY };
    expect(expectedWaits(mobile, 7)).toEqual([
      15_000, 30_000, 60_000, 120_000, 240_000, 300_000, 300_000,
    ]);
    const live = startLiveChecker(new CoverageRecorder(), mobile);
    await settle();
    const hour = 3_600_000;
    const started = live.clock.now();
    let failures = 0;
    while (live.clock.now() - started < hour) {
      failures += 1;
      await answer(live, false);
      live.clock.increment(lanBackoffMs(failures, mobile));
      await settle();
    }
    // The first hour at lan (the worst: the backoff still growing) against an hour at internet.
    const atLan = probes(live);
    expect(atLan).toBeLessThanOrEqual(hour / mobile.intervalMs / 3);
    expect(lanBackoffMs(Number.MAX_SAFE_INTEGER, mobile)).toBe(300_000);
    live.stop();
  });
});

describe("connectivity checker: the probe budget", () => {
  /** A small budget, so that a simulated day is a few hundred checks. */
  const settings: ConnectivitySettings = { ...DEFAULT_CONNECTIVITY, maxBytesPerDay: 20_000 };
  const DAYS = 2;

  type Step =
    | { kind: "answer"; ok: boolean }
    | { kind: "stall" }
    | { kind: "traffic" }
    | { kind: "flap" }
    | { kind: "cut"; fraction: number };

  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 10, arbitrary: fc.boolean().map((ok) => ({ kind: "answer" as const, ok })) },
    { weight: 2, arbitrary: fc.constant({ kind: "stall" as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: "traffic" as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: "flap" as const }) },
    {
      weight: 2,
      arbitrary: fc.double({ min: 0, max: 1, noNaN: true }).map((fraction) => ({
        kind: "cut" as const,
        fraction,
      })),
    },
  );

  /** Drives a checker for DAYS simulated days; returns when each probe ended and what it cost. */
  async function spendOver(steps: readonly Step[], bytesPerHost: number) {
    const live = startLiveChecker(new CoverageRecorder(), settings);
    const spent: Array<{ atMs: number; bytes: number }> = [];
    const end = DAYS * DAY_MS;
    let index = 0;
    while (live.clock.now() < end) {
      const next = steps[index++ % steps.length] as Step;
      const call = live.probe.calls.find(
        (candidate) => !candidate.settled && !candidate.signal.aborted,
      );
      const context = live.actor.getSnapshot().context;
      if (call) {
        const ok = next.kind === "answer" ? next.ok : true;
        live.clock.increment(ok ? 5 : call.input.timeoutMs);
        const bytes = bytesPerHost * call.input.count;
        spent.push({ atMs: live.clock.now(), bytes });
        call.resolve({ ...(ok ? OK : FAILED), bytes });
      } else if (next.kind === "stall") {
        live.actor.send({ type: "traffic.stalled" });
      } else if (next.kind === "traffic") {
        live.actor.send({ type: "traffic.seen" });
      } else if (next.kind === "flap") {
        live.actor.send({ type: "link.changed", usable: false, reason: "carrier lost" });
        await settle();
        live.actor.send({ type: "link.changed", usable: true, reason: "carrier up" });
      } else {
        // The next timer, or part of it before something cuts it short.
        const timer = context.holdDownMs > 0 ? context.holdDownMs : context.waitMs;
        const fraction = next.kind === "cut" ? next.fraction : 1;
        live.clock.increment(Math.max(1, Math.round(timer * fraction)));
      }
      await settle();
    }
    live.stop();
    return spent;
  }

  /** The most spent in any window of a day (each window starting at a spend). */
  function busiestDay(spent: ReadonlyArray<{ atMs: number; bytes: number }>): number {
    let most = 0;
    let total = 0;
    let first = 0;
    for (const entry of spent) {
      total += entry.bytes;
      while ((spent[first]?.atMs ?? 0) <= entry.atMs - DAY_MS) total -= spent[first++]?.bytes ?? 0;
      most = Math.max(most, total);
    }
    return most;
  }

  it("never spends more than maxBytesPerDay in any 24 hours, whatever the answers and events", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 5, maxLength: 40 }),
        fc.constantFrom(142, 290),
        async (steps, bytesPerHost) => {
          const spent = await spendOver(steps, bytesPerHost);
          expect(spent.length).toBeGreaterThan(0);
          expect(busiestDay(spent)).toBeLessThanOrEqual(settings.maxBytesPerDay);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("spends most of its budget on a quiet link, one probe per pace", async () => {
    const spent = await spendOver([{ kind: "answer", ok: true }], 142);
    const day = busiestDay(spent);
    expect(day).toBeLessThanOrEqual(settings.maxBytesPerDay);
    // The bucket and the room for confirming rounds (about 6.5 KB) are a third of so small a
    // budget; of the default 4.2 MB, the regular checks spend 95 %.
    expect(day).toBeGreaterThan(0.6 * settings.maxBytesPerDay);
  });
});
