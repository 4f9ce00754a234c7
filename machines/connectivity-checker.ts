import { assertEvent, assign, type DoneActorEvent, fromPromise, sendParent, setup } from "xstate";
import { actorError } from "./actor-events.js";
import {
  BURST_BYTES,
  budgetRate,
  budgetWaitMs,
  creditWait,
  DAY_MS,
  FIRST_PROBE_BYTES,
  regularIntervalMs,
} from "./probe-budget.js";
import { probeTimeoutMs, type RttEstimate, updateRtt } from "./probe-timing.js";

/**
 * Decides whether an uplink reaches the Internet: `disconnected | lan |
 * internet`. Fast to notice a loss, slow to believe a recovery:
 * - a probe waits as long as the link's measured round trip warrants
 *   (probe-timing.ts), not a fixed time;
 * - a failed check is confirmed in rounds of parallel probes, each round
 *   waiting twice as long as the last, so random loss (or a round trip that
 *   just grew) does not pass for an outage, while a silent upstream is
 *   still noticed within the bound of `lossDetectionBoundMs`;
 * - recovery takes several good checks in a row, and a hold-down that grows
 *   each time the link flaps;
 * - while only the LAN answers, the checks back off (the wait doubles up to
 *   a ceiling), as VintageNet's do;
 * - every wait is also long enough to keep the probes within the
 *   interface's byte budget (probe-budget.ts), and the device's own traffic
 *   stands in for a probe whenever it shows the uplink works.
 * Probes are a promise actor the shell provides; every timer is a machine
 * delay, so a simulated clock drives it in tests.
 */

export type ConnectivityStatus = "disconnected" | "lan" | "internet";

export interface ConnectivitySettings {
  /** The shortest wait between checks while the Internet is reachable (the budget may stretch it). */
  intervalMs: number;
  /**
   * The longest a probe waits for an answer, and its wait until the link's
   * round trip has been timed; after that, the wait follows the round trip.
   */
  timeoutMs: number;
  /** The shortest wait for a probe's answer, however quick the link. */
  minTimeoutMs: number;
  /**
   * After a failed check while only the LAN is reachable: the first wait
   * before the next check; each further failure in a row doubles it.
   */
  lanIntervalMs: number;
  /** The most those doubling waits grow to (never less than lanIntervalMs). */
  lanBackoffMaxMs: number;
  /** Between the good checks needed to return to `internet`. */
  recoveryIntervalMs: number;
  /** Consecutive good checks needed to return to `internet`. */
  recoveryChecks: number;
  /** Parallel probes (to different hosts as far as there are) in each round confirming a failed check. */
  confirmProbes: number;
  /** Rounds of confirming probes; only when all fail is the Internet lost. */
  confirmRounds: number;
  /** Bytes on the wire the probes of one interface may spend in any 24 hours. */
  maxBytesPerDay: number;
  /** Hold-down after the second flap; doubles with each further flap. */
  holdDownBaseMs: number;
  holdDownMaxMs: number;
  /** This long at `internet` (counted in good checks) and earlier flaps are forgotten. */
  dampingResetMs: number;
}

/**
 * Defaults for wired and WiFi uplinks: a check every 2 s, or as often as
 * 4.2 MB a day allows (a refused connect costs 142 B on the wire: about
 * every 3 s; an idle Ethernet link adds some 0.7 MB a day of ARP that the
 * probes' traffic keeps going); a probe waits its round trip's worth, at
 * least 200 ms and at most 2 s; a failure is confirmed by two rounds of four
 * probes. A silent upstream moves the route within about 4.5 s on a quick
 * link. While only the LAN answers, checks come after 3, 6, 12, 24, then
 * every 30 s (VintageNet: 10, 20, then every 30 s); three good ones, a
 * second apart, bring the Internet back.
 */
export const DEFAULT_CONNECTIVITY: ConnectivitySettings = {
  intervalMs: 2_000,
  timeoutMs: 2_000,
  minTimeoutMs: 200,
  lanIntervalMs: 3_000,
  lanBackoffMaxMs: 30_000,
  recoveryIntervalMs: 1_000,
  recoveryChecks: 3,
  confirmProbes: 4,
  confirmRounds: 2,
  maxBytesPerDay: 4_200_000,
  holdDownBaseMs: 10_000,
  holdDownMaxMs: 600_000,
  dampingResetMs: 600_000,
};

/**
 * Metered mobile links spend less than a megabyte a day on checks, in any
 * state: at `internet` about every 13 s (a refused connect each), at `lan`
 * from 15 s backing off to 5 minutes. The device's own traffic replaces
 * probes whenever it shows the link works.
 */
export const MOBILE_CONNECTIVITY: Partial<ConnectivitySettings> = {
  intervalMs: 5_000,
  lanIntervalMs: 15_000,
  lanBackoffMaxMs: 300_000,
  maxBytesPerDay: 980_000,
};

/**
 * With a power manager, checks are what pets its watchdog: each wait between
 * checks that can pet it stays within half the watchdog's timeout, or a
 * working device would be reset between two checks. Every check at
 * `internet` pets; at `lan`, only with `petWhen: "lan"`.
 */
export function checkingWithinWatchdog(
  settings: Partial<ConnectivitySettings>,
  watchdogTimeoutMs: number,
  petWhen: "internet" | "lan",
): Partial<ConnectivitySettings> {
  const limit = Math.max(1, Math.floor(watchdogTimeoutMs / 2));
  const full = { ...DEFAULT_CONNECTIVITY, ...settings };
  const within = (name: "intervalMs" | "lanIntervalMs" | "lanBackoffMaxMs") =>
    full[name] > limit ? { [name]: limit } : {};
  // And a budget that pays for a check at least that often (a connect that got through each).
  const neededBytesPerDay = Math.ceil((DAY_MS / limit) * 2 * WATCHDOG_PROBE_BYTES);
  return {
    ...settings,
    ...within("intervalMs"),
    ...(petWhen === "lan" ? { ...within("lanIntervalMs"), ...within("lanBackoffMaxMs") } : {}),
    ...(full.maxBytesPerDay < neededBytesPerDay ? { maxBytesPerDay: neededBytesPerDay } : {}),
  };
}

/** A connect that got through and was reset, as Ethernet frames: what a watchdog's check may cost. */
const WATCHDOG_PROBE_BYTES = 300;

/** The wait between checks at `internet`: the interval, or the budget's pace for probes of `probeBytes`. */
export function regularWaitMs(settings: ConnectivitySettings, probeBytes: number): number {
  return Math.max(settings.intervalMs, regularIntervalMs(probeBytes, settings));
}

/**
 * The longest from an upstream falling silent (at `internet`, all probes
 * unanswered from then on) to `lan`: the wait before the next check, then
 * its probe and each confirming round, each waiting twice the last, within
 * the ceiling. `probeBytes` is what one probe of one host costs. That is
 * while the budget's bucket holds a check's worth; checks that spent beyond
 * the budget (confirming rounds again and again under heavy loss) stretch
 * the wait until the bucket has it again.
 */
export function lossDetectionBoundMs(
  settings: ConnectivitySettings,
  rtt: RttEstimate | undefined,
  probeBytes: number,
): number {
  let probing = 0;
  for (let round = 0; round <= settings.confirmRounds; round += 1) {
    probing += probeTimeoutMs(rtt, round, settings);
  }
  return regularWaitMs(settings, probeBytes) + probing;
}

/** At `lan`: quick while checks pass (recovery), backing off while they fail. */
function lanWaitMs(context: CheckerContext): number {
  return context.goodChecks > 0
    ? context.settings.recoveryIntervalMs
    : lanBackoffMs(context.lanFailures, context.settings);
}

/**
 * The wait after the `failures`-th failed check in a row at `lan`:
 * lanIntervalMs, doubling with each further failure, up to lanBackoffMaxMs.
 */
export function lanBackoffMs(failures: number, settings: ConnectivitySettings): number {
  const { lanIntervalMs, lanBackoffMaxMs } = settings;
  const ceiling = Math.max(lanIntervalMs, lanBackoffMaxMs);
  // Capped before it is computed: 2 ** a large count is Infinity.
  const doublings = Math.min(Math.max(failures - 1, 0), 52);
  return Math.min(lanIntervalMs * 2 ** doublings, ceiling);
}

export interface ProbeInput {
  ifname: string;
  /** The interface's address: probes bound to it leave through the interface. */
  sourceAddress: string | undefined;
  /** The interface's own DNS servers, for probe hosts given by name. */
  nameServers: readonly string[];
  /** How many hosts to try at once; any success is a success. */
  count: number;
  timeoutMs: number;
}

export interface ProbeResult {
  ok: boolean;
  /** Round-trip time of the first connection, when one succeeded. */
  rttMs?: number | undefined;
  /** Which host answered, or why none did. */
  detail: string;
  /** What the probe cost on the wire (every host it tried, Ethernet frames), as far as known. */
  bytes?: number | undefined;
}

export interface CheckerInput {
  ifname: string;
  /** Carrier and an IPv4 address: only then can anything be reached. */
  usable: boolean;
  address?: string | undefined;
  nameServers?: readonly string[];
  settings?: Partial<ConnectivitySettings>;
}

export interface CheckerContext {
  ifname: string;
  usable: boolean;
  address: string | undefined;
  nameServers: readonly string[];
  settings: ConnectivitySettings;
  /** Good checks in a row while at `lan`. */
  goodChecks: number;
  /** Failed checks in a row. */
  failedChecks: number;
  /** Failed checks in a row at `lan` since it was entered or a check last succeeded there. */
  lanFailures: number;
  /** Drops from `internet` to `lan` since the link was last stable. */
  flaps: number;
  /** Good checks in a row at `internet`; enough of them forget the flaps. */
  stableChecks: number;
  holdDownMs: number;
  lastReason: string;
  lastRttMs: number | undefined;
  /** Traffic through the interface since the last check: the next check needs no probe. */
  trafficSeen: boolean;
  /** The link's round trip, from answered probes (RFC 6298). */
  rtt: RttEstimate | undefined;
  /** Probes in a row that got no answer: each doubles the next one's wait. */
  unanswered: number;
  /** The confirming round under way (from 1) while `suspect`. */
  confirmRound: number;
  /** The probe budget's bucket, in bytes; below zero after confirming rounds. */
  budgetBytes: number;
  /** What probing one host cost last time: the estimate for the next check. */
  probeBytes: number;
  /** Everything the probes cost since the checker started. */
  spentBytes: number;
  /** The wait the current waiting state scheduled, credited to the budget when it runs out. */
  waitMs: number;
}

export type CheckerEvent =
  | {
      type: "link.changed";
      usable: boolean;
      reason: string;
      address?: string | undefined;
      nameServers?: readonly string[];
    }
  /** Sockets through this interface exchanged data with off-link hosts since the last check. */
  | { type: "traffic.seen" }
  /** Sockets through this interface only retransmit: check now. */
  | { type: "traffic.stalled" }
  /** New timings from a changed configuration; they apply from the next timer on. */
  | { type: "settings.changed"; settings: Partial<ConnectivitySettings> };

export type CheckerReport =
  | {
      type: "connectivity.changed";
      ifname: string;
      status: ConnectivityStatus;
      reason: string;
    }
  /**
   * After every check: the interface's power-manager watchdog is petted on
   * what it says (`reachable`: something on the Internet answered, or the
   * device's own traffic showed it).
   */
  | { type: "connectivity.checked"; ifname: string; reachable: boolean };

/** Details published under `interface/<ifname>/connectivity/`. */
export interface CheckerDetails {
  ifname: string;
  status: ConnectivityStatus;
  reason: string;
  lastRttMs: number | undefined;
  failedChecks: number;
  holdDownMs: number;
  /** The smoothed round trip, once an answer was timed. */
  rttMs: number | undefined;
  /** How long the next probe waits for its answer. */
  probeTimeoutMs: number;
  /** Bytes the probes cost since the checker started, and the daily budget. */
  spentBytes: number;
  maxBytesPerDay: number;
}

function holdDownFor(flaps: number, settings: ConnectivitySettings): number {
  if (flaps <= 1) return 0;
  return Math.min(settings.holdDownBaseMs * 2 ** (flaps - 2), settings.holdDownMaxMs);
}

const report = (status: ConnectivityStatus) =>
  ({ type: "reportStatus", params: { status } }) as const;

const details = (status: ConnectivityStatus) =>
  ({
    type: "publishDetails",
    params: ({ context }: { context: CheckerContext }): CheckerDetails => ({
      ifname: context.ifname,
      status,
      reason: context.lastReason,
      lastRttMs: context.lastRttMs,
      failedChecks: context.failedChecks,
      holdDownMs: context.holdDownMs,
      rttMs: context.rtt && Math.round(context.rtt.srttMs * 10) / 10,
      probeTimeoutMs: timeoutOf(context),
      spentBytes: context.spentBytes,
      maxBytesPerDay: context.settings.maxBytesPerDay,
    }),
  }) as const;

const timeoutOf = (context: CheckerContext) =>
  probeTimeoutMs(context.rtt, context.unanswered, context.settings);

/** How long until the next check is within the budget. */
const budgetWait = (context: CheckerContext) =>
  budgetWaitMs(context.budgetBytes, context.probeBytes, context.settings);

/** The actions and guards that read a probe's result get it as params, typed by the done event. */
const probeResult = ({ event }: { event: DoneActorEvent<ProbeResult> }) => event.output;
const recordSuccess = { type: "recordSuccess", params: probeResult } as const;
const recordFailure = { type: "recordFailure", params: probeResult } as const;
const probeOk = { type: "probeOk", params: probeResult } as const;
const recovered = { type: "recovered", params: probeResult } as const;

const reachable = { type: "reportCheck", params: { reachable: true } } as const;
const unreachable = { type: "reportCheck", params: { reachable: false } } as const;

function probeInput(context: CheckerContext, count: number): ProbeInput {
  return {
    ifname: context.ifname,
    sourceAddress: context.address,
    nameServers: context.nameServers,
    count,
    timeoutMs: timeoutOf(context),
  };
}

/** A probe's cost against the budget; the next check's estimate follows what one host cost. */
function spend(context: CheckerContext, result: ProbeResult | undefined, count: number) {
  const bytes = result?.bytes;
  if (bytes === undefined) return {};
  return {
    budgetBytes: context.budgetBytes - bytes,
    spentBytes: context.spentBytes + bytes,
    probeBytes: Math.max(bytes / Math.max(count, 1), 1),
  };
}

/** Hosts the probe that just ended tried: a confirming round's, or a check's one. */
const hostsProbed = (context: CheckerContext) =>
  context.confirmRound > 0 ? context.settings.confirmProbes : 1;

export const connectivityCheckerMachine = setup({
  types: {
    context: {} as CheckerContext,
    events: {} as CheckerEvent,
    input: {} as CheckerInput,
  },
  actors: {
    probe: fromPromise<ProbeResult, ProbeInput>(async () => {
      throw new Error("probe must be provided by the platform");
    }),
  },
  actions: {
    publishDetails: (_, _details: CheckerDetails) => {},
    reportCheck: sendParent(({ context }, { reachable }: { reachable: boolean }) => ({
      type: "connectivity.checked",
      ifname: context.ifname,
      reachable,
    })),
    reportStatus: sendParent(({ context }, { status }: { status: ConnectivityStatus }) => ({
      type: "connectivity.changed",
      ifname: context.ifname,
      status,
      reason: context.lastReason,
    })),
    recordSuccess: assign(({ context }, result: ProbeResult) => ({
      failedChecks: 0,
      lastRttMs: result.rttMs,
      lastReason: result.detail,
      unanswered: 0,
      rtt: result.rttMs === undefined ? context.rtt : updateRtt(context.rtt, result.rttMs),
      ...spend(context, result, hostsProbed(context)),
    })),
    recordFailure: assign(({ context }, result: ProbeResult) => ({
      failedChecks: context.failedChecks + 1,
      lastReason: result.detail,
      unanswered: context.unanswered + 1,
      ...spend(context, result, hostsProbed(context)),
    })),
    recordProbeError: assign(({ context, event }) => ({
      failedChecks: context.failedChecks + 1,
      lastReason: `probe failed: ${String(actorError(event))}`,
      unanswered: context.unanswered + 1,
    })),
    startConfirming: assign({ confirmRound: 1 }),
    nextRound: assign({ confirmRound: ({ context }) => context.confirmRound + 1 }),
    stopConfirming: assign({ confirmRound: 0 }),
    // The wait of the state being entered: its own, or longer if the budget asks.
    scheduleBudgetWait: assign(({ context }) => ({ waitMs: budgetWait(context) })),
    scheduleInterval: assign(({ context }) => ({
      waitMs: Math.max(regularWaitMs(context.settings, context.probeBytes), budgetWait(context)),
    })),
    scheduleLanWait: assign(({ context }) => ({
      waitMs: Math.max(lanWaitMs(context), budgetWait(context)),
    })),
    scheduleRefill: assign(({ context }) => ({
      waitMs: Math.max(
        0,
        Math.ceil((BURST_BYTES - context.budgetBytes) / budgetRate(context.settings)),
      ),
    })),
    creditWait: assign(({ context }) => ({
      budgetBytes: creditWait(context.budgetBytes, context.waitMs, context.settings),
    })),
    creditHoldDown: assign(({ context }) => ({
      budgetBytes: creditWait(context.budgetBytes, context.holdDownMs, context.settings),
    })),
    fillBudget: assign(({ context }) => ({
      budgetBytes: Math.max(context.budgetBytes, BURST_BYTES),
    })),
    recordGood: assign({ goodChecks: ({ context }) => context.goodChecks + 1, lanFailures: 0 }),
    backOff: assign({ lanFailures: ({ context }) => context.lanFailures + 1 }),
    forgetBackOff: assign({ lanFailures: 0 }),
    forgetGood: assign({ goodChecks: 0 }),
    recordFlap: assign(({ context }) => {
      const flaps = context.flaps + 1;
      return {
        flaps,
        stableChecks: 0,
        holdDownMs: holdDownFor(flaps, context.settings),
        lastReason: `confirmed: ${context.lastReason}`,
      };
    }),
    endHoldDown: assign({ holdDownMs: 0 }),
    recordStable: assign(({ context }) => {
      const stableChecks = context.stableChecks + 1;
      const { dampingResetMs, intervalMs } = context.settings;
      // Counted, not timed: stability means checks that passed, whatever the clock did.
      const forget = stableChecks * intervalMs >= dampingResetMs;
      return { stableChecks, flaps: forget ? 0 : context.flaps };
    }),
    recordLink: assign(({ event }) => {
      assertEvent(event, "link.changed");
      return {
        usable: event.usable,
        lastReason: event.reason,
        goodChecks: 0,
        address: event.address,
        nameServers: event.nameServers ?? [],
      };
    }),
    markTraffic: assign({ trafficSeen: true }),
    forgetTraffic: assign({ trafficSeen: false }),
    recordTraffic: assign({ trafficSeen: false, failedChecks: 0, lastReason: "traffic seen" }),
    applySettings: assign(({ event }) => {
      assertEvent(event, "settings.changed");
      return { settings: { ...DEFAULT_CONNECTIVITY, ...event.settings } };
    }),
  },
  guards: {
    isUsable: ({ context }) => context.usable,
    becameUsable: ({ event }) => event.type === "link.changed" && event.usable,
    becameUnusable: ({ event }) => event.type === "link.changed" && !event.usable,
    probeOk: (_, result: ProbeResult) => result.ok,
    recovered: ({ context }, result: ProbeResult) =>
      result.ok && context.goodChecks + 1 >= context.settings.recoveryChecks,
    holdingDown: ({ context }) => context.holdDownMs > 0,
    trafficSeen: ({ context }) => context.trafficSeen,
    moreRounds: ({ context }) => context.confirmRound < context.settings.confirmRounds,
    withinBudget: ({ context }) => budgetWait(context) === 0,
  },
  delays: {
    // Each computed once, on entry (scheduleInterval, scheduleLanWait, …), and credited when it ends.
    interval: ({ context }) => context.waitMs,
    lanInterval: ({ context }) => context.waitMs,
    budget: ({ context }) => context.waitMs,
    refill: ({ context }) => context.waitMs,
    holdDown: ({ context }) => context.holdDownMs,
  },
}).createMachine({
  id: "connectivity",
  context: ({ input }) => ({
    ifname: input.ifname,
    usable: input.usable,
    address: input.address,
    nameServers: input.nameServers ?? [],
    settings: { ...DEFAULT_CONNECTIVITY, ...input.settings },
    goodChecks: 0,
    failedChecks: 0,
    lanFailures: 0,
    flaps: 0,
    stableChecks: 0,
    holdDownMs: 0,
    lastReason: input.usable ? "starting" : "no carrier or address",
    lastRttMs: undefined,
    trafficSeen: false,
    rtt: undefined,
    unanswered: 0,
    confirmRound: 0,
    budgetBytes: BURST_BYTES,
    probeBytes: FIRST_PROBE_BYTES,
    spentBytes: 0,
    waitMs: 0,
  }),
  on: { "settings.changed": { actions: "applySettings" } },
  initial: "starting",
  states: {
    starting: {
      always: [{ guard: "isUsable", target: "lan" }, { target: "disconnected" }],
    },
    disconnected: {
      entry: ["stopConfirming", report("disconnected"), details("disconnected"), "scheduleRefill"],
      // Time without a link is time the budget refills in.
      after: { refill: { actions: "fillBudget" } },
      on: {
        "link.changed": { guard: "becameUsable", target: "lan", actions: "recordLink" },
      },
    },
    lan: {
      entry: ["forgetBackOff", "stopConfirming", report("lan"), details("lan")],
      initial: "deciding",
      on: {
        "link.changed": {
          guard: "becameUnusable",
          target: "disconnected",
          actions: ["recordLink", "forgetGood"],
        },
      },
      states: {
        deciding: {
          always: [
            { guard: "holdingDown", target: "holdingDown" },
            { guard: "withinBudget", target: "probing" },
            { target: "saving" },
          ],
        },
        holdingDown: {
          after: {
            holdDown: {
              target: "deciding",
              actions: ["creditHoldDown", "endHoldDown", details("lan")],
            },
          },
        },
        /** A link back too soon after the last probes: the first check waits for the budget. */
        saving: {
          entry: "scheduleBudgetWait",
          after: { budget: { target: "probing", actions: "creditWait" } },
        },
        probing: {
          invoke: {
            id: "probe",
            src: "probe",
            input: ({ context }) => probeInput(context, 1),
            onDone: [
              {
                guard: recovered,
                target: "#connectivity.internet",
                actions: [recordSuccess, "forgetGood", reachable],
              },
              {
                guard: probeOk,
                target: "waiting",
                actions: [recordSuccess, "recordGood", reachable, details("lan")],
              },
              {
                target: "waiting",
                actions: [recordFailure, "forgetGood", "backOff", unreachable, details("lan")],
              },
            ],
            onError: {
              target: "waiting",
              actions: ["recordProbeError", "forgetGood", "backOff", unreachable, details("lan")],
            },
          },
        },
        waiting: {
          entry: "scheduleLanWait",
          after: { lanInterval: { target: "probing", actions: "creditWait" } },
        },
      },
    },
    internet: {
      entry: ["forgetTraffic", report("internet"), details("internet")],
      initial: "waiting",
      on: {
        "link.changed": {
          guard: "becameUnusable",
          target: "disconnected",
          actions: "recordLink",
        },
        "traffic.seen": { actions: "markTraffic" },
      },
      states: {
        waiting: {
          entry: "scheduleInterval",
          after: {
            // The device's own traffic proved the uplink since the last check: no probe needed.
            interval: [
              {
                guard: "trafficSeen",
                target: "waiting",
                reenter: true,
                actions: [
                  "creditWait",
                  "recordTraffic",
                  "recordStable",
                  reachable,
                  details("internet"),
                ],
              },
              { target: "checking", actions: "creditWait" },
            ],
          },
          // At once, unless the budget is spent: the regular check is then the next chance.
          on: { "traffic.stalled": { guard: "withinBudget", target: "checking" } },
        },
        checking: {
          entry: "forgetTraffic",
          invoke: {
            id: "probe",
            src: "probe",
            input: ({ context }) => probeInput(context, 1),
            onDone: [
              {
                guard: probeOk,
                target: "waiting",
                actions: [recordSuccess, "recordStable", reachable, details("internet")],
              },
              {
                target: "suspect",
                actions: [recordFailure, "startConfirming", unreachable, details("internet")],
              },
            ],
            onError: {
              target: "suspect",
              actions: ["recordProbeError", "startConfirming", unreachable, details("internet")],
            },
          },
        },
        /** Rounds of parallel probes, each waiting twice as long as the last: any answer clears it. */
        suspect: {
          invoke: {
            id: "probe",
            src: "probe",
            input: ({ context }) => probeInput(context, context.settings.confirmProbes),
            onDone: [
              {
                guard: probeOk,
                target: "waiting",
                actions: [
                  recordSuccess,
                  "stopConfirming",
                  "recordStable",
                  reachable,
                  details("internet"),
                ],
              },
              {
                guard: "moreRounds",
                target: "suspect",
                reenter: true,
                actions: [recordFailure, "nextRound", unreachable, details("internet")],
              },
              {
                target: "#connectivity.lan",
                actions: [recordFailure, unreachable, "recordFlap"],
              },
            ],
            onError: [
              {
                guard: "moreRounds",
                target: "suspect",
                reenter: true,
                actions: ["recordProbeError", "nextRound", unreachable, details("internet")],
              },
              {
                target: "#connectivity.lan",
                actions: ["recordProbeError", unreachable, "recordFlap"],
              },
            ],
          },
        },
      },
    },
  },
});

export type ConnectivityCheckerMachine = typeof connectivityCheckerMachine;
