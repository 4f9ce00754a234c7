import { assertEvent, assign, type DoneActorEvent, fromPromise, sendParent, setup } from "xstate";
import { actorError } from "./actor-events.js";

/**
 * Decides whether an uplink reaches the Internet: `disconnected | lan |
 * internet`. Fast to notice a loss (a failed check is confirmed at once with
 * parallel probes to several hosts) and slow to believe a recovery (several
 * good checks in a row, and a hold-down that grows each time the link flaps).
 * While only the LAN answers, the checks back off (the wait doubles up to a
 * ceiling), as VintageNet's do, rather than probing a dead upstream at the
 * same pace forever. Probes are a promise actor the shell provides; every
 * timer is a machine delay, so a simulated clock drives it in tests.
 */

export type ConnectivityStatus = "disconnected" | "lan" | "internet";

export interface ConnectivitySettings {
  /** Between checks while the Internet is reachable. */
  intervalMs: number;
  /** A probe that has not connected by then has failed. */
  timeoutMs: number;
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
  /** Parallel probes (to different hosts) that confirm a failed check. */
  confirmProbes: number;
  /** Hold-down after the second flap; doubles with each further flap. */
  holdDownBaseMs: number;
  holdDownMaxMs: number;
  /** This long at `internet` (counted in good checks) and earlier flaps are forgotten. */
  dampingResetMs: number;
}

/**
 * Defaults: an upstream loss moves the route within 15 s (8 + 2 + 2 s plus the
 * route change); while only the LAN answers, checks come after 5, 10, 20, then
 * every 30 s (VintageNet: 10, 20, then every 30 s).
 */
export const DEFAULT_CONNECTIVITY: ConnectivitySettings = {
  intervalMs: 8_000,
  timeoutMs: 2_000,
  lanIntervalMs: 5_000,
  lanBackoffMaxMs: 30_000,
  recoveryIntervalMs: 2_000,
  recoveryChecks: 3,
  confirmProbes: 3,
  holdDownBaseMs: 10_000,
  holdDownMaxMs: 600_000,
  dampingResetMs: 600_000,
};

/**
 * Metered mobile links are checked less often in every state: once a minute
 * at `internet`, and at `lan` from 15 s backing off to 5 minutes, so a link
 * stuck without the Internet costs less than a healthy one.
 */
export const MOBILE_CONNECTIVITY: Partial<ConnectivitySettings> = {
  intervalMs: 60_000,
  lanIntervalMs: 15_000,
  lanBackoffMaxMs: 300_000,
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
  return {
    ...settings,
    ...within("intervalMs"),
    ...(petWhen === "lan" ? { ...within("lanIntervalMs"), ...within("lanBackoffMaxMs") } : {}),
  };
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
    }),
  }) as const;

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
    timeoutMs: context.settings.timeoutMs,
  };
}

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
    recordSuccess: assign((_, result: ProbeResult) => ({
      failedChecks: 0,
      lastRttMs: result.rttMs,
      lastReason: result.detail,
    })),
    recordFailure: assign(({ context }, result: ProbeResult) => ({
      failedChecks: context.failedChecks + 1,
      lastReason: result.detail,
    })),
    recordProbeError: assign(({ context, event }) => ({
      failedChecks: context.failedChecks + 1,
      lastReason: `probe failed: ${String(actorError(event))}`,
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
  },
  delays: {
    interval: ({ context }) => context.settings.intervalMs,
    // Quick while checks pass (recovery), backing off while they fail.
    lanInterval: ({ context }) =>
      context.goodChecks > 0
        ? context.settings.recoveryIntervalMs
        : lanBackoffMs(context.lanFailures, context.settings),
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
  }),
  on: { "settings.changed": { actions: "applySettings" } },
  initial: "starting",
  states: {
    starting: {
      always: [{ guard: "isUsable", target: "lan" }, { target: "disconnected" }],
    },
    disconnected: {
      entry: [report("disconnected"), details("disconnected")],
      on: {
        "link.changed": { guard: "becameUsable", target: "lan", actions: "recordLink" },
      },
    },
    lan: {
      entry: ["forgetBackOff", report("lan"), details("lan")],
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
          always: [{ guard: "holdingDown", target: "holdingDown" }, { target: "probing" }],
        },
        holdingDown: {
          after: { holdDown: { target: "probing", actions: ["endHoldDown", details("lan")] } },
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
          after: { lanInterval: "probing" },
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
          after: {
            // The device's own traffic proved the uplink since the last check: no probe needed.
            interval: [
              {
                guard: "trafficSeen",
                target: "waiting",
                reenter: true,
                actions: ["recordTraffic", "recordStable", reachable, details("internet")],
              },
              { target: "checking" },
            ],
          },
          on: { "traffic.stalled": "checking" },
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
              { target: "suspect", actions: [recordFailure, unreachable, details("internet")] },
            ],
            onError: {
              target: "suspect",
              actions: ["recordProbeError", unreachable, details("internet")],
            },
          },
        },
        suspect: {
          invoke: {
            id: "probe",
            src: "probe",
            input: ({ context }) => probeInput(context, context.settings.confirmProbes),
            onDone: [
              {
                guard: probeOk,
                target: "waiting",
                actions: [recordSuccess, "recordStable", reachable, details("internet")],
              },
              {
                target: "#connectivity.lan",
                actions: [recordFailure, unreachable, "recordFlap"],
              },
            ],
            onError: {
              target: "#connectivity.lan",
              actions: ["recordProbeError", unreachable, "recordFlap"],
            },
          },
        },
      },
    },
  },
});

export type ConnectivityCheckerMachine = typeof connectivityCheckerMachine;
