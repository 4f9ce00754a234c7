import {
  assertEvent,
  assign,
  fromCallback,
  fromPromise,
  type SnapshotFrom,
  sendTo,
  setup,
} from "xstate";
import type { MacAddress, WpaEvent } from "../src/technologies/wifi/wpa-events.js";
import { actorErrorMessage } from "./actor-events.js";
import { type WifiTimings, wifiTimings } from "./wifi-timings.js";

export {
  DEFAULT_WIFI_TIMINGS,
  type WifiTimings,
  WifiTimingsError,
  wifiTimings,
} from "./wifi-timings.js";

/**
 * The WiFi link of one interface, as wpa_supplicant reports it: is it
 * associated (client) or serving stations (access point), and if not, why.
 *
 * wpa_supplicant does the radio work (scanning, choosing, retrying a
 * temporarily disabled network); this machine only follows its events,
 * asks for scans while nothing is associated, and keeps the process itself
 * alive: it is restarted, with a growing backoff, when it exits, cannot be
 * started, or stops answering PING. The process and the ping are actors the
 * shell provides; every timer is a machine delay.
 */

export type WifiMode = "client" | "ap";

export interface WifiInput {
  ifname: string;
  mode: WifiMode;
  timings?: Partial<WifiTimings>;
}

/** The access point a client is associated with (or trying). */
export interface WifiAccessPoint {
  bssid: MacAddress;
  ssid?: string | undefined;
}

export type WifiEventKind =
  /** Credentials refused: wrong passphrase, failed EAP. */
  | "auth_failed"
  | "auth_rejected"
  | "assoc_rejected"
  /** wpa_supplicant disabled a network for a while for another reason (CONN_FAILED). */
  | "connection_failed"
  | "disconnected"
  | "network_not_found"
  | "roamed"
  | "ap_disabled"
  /** wpa_supplicant exited, could not start, or hung; it is being restarted. */
  | "restarted";

/** The last notable thing that happened to the link, for a person (`interface/<if>/wifi/event`). */
export interface WifiLastEvent {
  kind: WifiEventKind;
  reason: string;
  ssid?: string | undefined;
  bssid?: MacAddress | undefined;
  /** IEEE 802.11 reason code (disconnections) or status code (rejections). */
  code?: number | undefined;
  /** Authentication failures in a row, as wpa_supplicant counts them. */
  failures?: number | undefined;
}

export interface WifiContext {
  ifname: string;
  mode: WifiMode;
  timings: WifiTimings;
  /** Set exactly while associated as a client. */
  currentAp: WifiAccessPoint | undefined;
  /** What wpa_supplicant last tried: names the network of a failure or of the next connection. */
  candidate: WifiAccessPoint | undefined;
  lastEvent: WifiLastEvent | undefined;
  /** Stations associated with this access point. */
  clients: MacAddress[];
  restarts: number;
  /** The wait before the next restart (the current one while restarting). */
  restartDelayMs: number;
  /** PINGs answered in this run; enough of them make it healthy. */
  pongs: number;
}

/** What the supplicant actor reports. */
export type SupplicantReport =
  /** Started, control socket open, events attached, networks configured. */
  | { type: "supplicant.ready" }
  | { type: "supplicant.event"; event: WpaEvent }
  | { type: "supplicant.exited"; code: number | null; signal: string | null }
  | { type: "supplicant.failed"; reason: string };

export type WifiEvent =
  | SupplicantReport
  /** Someone asked for a scan (`scan(ifname)`). */
  | { type: "scan.request" };

/** What the machine asks of the supplicant actor. */
export type SupplicantCommand = { type: "scan" };

export interface SupplicantInput {
  ifname: string;
  mode: WifiMode;
  /** Restarts before this run: 0 for the first. */
  restarts: number;
}

export interface PingInput {
  ifname: string;
  timeoutMs: number;
}

/** Names published as `interface/<ifname>/wifi/state`. */
export type WifiStateName =
  | "starting"
  | "disconnected"
  | "associating"
  | "connected"
  | "auth_failed"
  | "ap_starting"
  | "ap_enabled"
  | "restarting";

/** Short texts for the common IEEE 802.11 reason codes (802.11-2020 table 9-49). */
const REASON_TEXTS: Readonly<Record<number, string>> = {
  1: "unspecified",
  2: "previous authentication no longer valid",
  3: "deauth leaving",
  4: "inactivity",
  5: "access point full",
  6: "class 2 frame from an unauthenticated station",
  7: "class 3 frame from an unassociated station",
  8: "disassoc leaving",
  14: "MIC failure",
  15: "4-way handshake timeout",
  16: "group key handshake timeout",
  23: "802.1X authentication failed",
};

/** `3 (deauth leaving)`, or the bare number for a code without a text here. */
export function describeReasonCode(code: number): string {
  const text = REASON_TEXTS[code];
  return text ? `${code} (${text})` : String(code);
}

/** wpa_supplicant's reasons for disabling a network that mean the credentials were refused. */
const CREDENTIAL_REASONS: Readonly<Record<string, string>> = {
  WRONG_KEY: "wrong passphrase",
  AUTH_FAILED: "authentication failed",
  NO_PSK_AVAILABLE: "no passphrase configured",
};

export type WifiSnapshot = SnapshotFrom<typeof wifiMachine>;

function isKind<K extends WpaEvent["kind"]>(
  wpa: WpaEvent,
  kind: K,
): wpa is Extract<WpaEvent, { kind: K }> {
  return wpa.kind === kind;
}

/** The wpa_supplicant event of a `supplicant.event`, which the transition's guard chose by kind. */
function wpaEvent<K extends WpaEvent["kind"]>(
  event: WifiEvent,
  kind: K,
): Extract<WpaEvent, { kind: K }> {
  assertEvent(event, "supplicant.event");
  const wpa = event.event;
  if (!isKind(wpa, kind)) throw new Error(`expected a ${kind} event, got ${wpa.kind}`);
  return wpa;
}

const hasKind =
  (kind: WpaEvent["kind"]) =>
  ({ event }: { event: WifiEvent }) =>
    event.type === "supplicant.event" && event.event.kind === kind;

/** The SSID of `bssid` when it is the AP wpa_supplicant tried last or is associated with. */
function ssidOf(context: WifiContext, bssid: MacAddress | undefined): string | undefined {
  if (bssid === undefined) return undefined;
  for (const ap of [context.candidate, context.currentAp]) {
    if (ap?.bssid === bssid && ap.ssid !== undefined) return ap.ssid;
  }
  return undefined;
}

const quoted = (ssid: string | undefined) => (ssid === undefined ? "" : ` for "${ssid}"`);

function exitReason(code: number | null, signal: string | null): string {
  if (signal !== null) return `wpa_supplicant was killed by ${signal}`;
  if (code !== null) return `wpa_supplicant exited with code ${code}`;
  return "wpa_supplicant exited";
}

const PING_FAILED = "wpa_supplicant stopped answering PING";

const RESTARTING = "#wifi.restarting";

/** Leaves `alive` (which stops wpa_supplicant) for `restarting`, saying why. */
const restart = (reason: (context: WifiContext) => string) =>
  ({
    target: RESTARTING,
    actions: {
      type: "recordRestart",
      params: ({ context }: { context: WifiContext }) => ({ reason: reason(context) }),
    },
  }) as const;

/** A failure of the credentials or the association, in any unassociated client state. */
const authFailures = (target: "authFailed" | undefined) =>
  [
    { guard: "credentialsRejected", target, actions: "recordCredentialsRejected" },
    { guard: "wpaEapFailure", target, actions: "recordEapFailure" },
    { guard: "assocRefused", target, actions: "recordAssocRejected" },
    { guard: "wpaAuthRejected", target, actions: "recordAuthRejected" },
  ] as const;

export const wifiMachine = setup({
  types: {
    context: {} as WifiContext,
    events: {} as WifiEvent,
    input: {} as WifiInput,
  },
  actors: {
    /** wpa_supplicant for as long as it runs; reports with SupplicantReport, takes SupplicantCommand. */
    supplicant: fromCallback<SupplicantCommand, SupplicantInput>(() => {
      throw new Error("supplicant must be provided by the platform");
    }),
    /** PING on the control socket: true for a PONG. */
    ping: fromPromise<boolean, PingInput>(async () => {
      throw new Error("ping must be provided by the platform");
    }),
  },
  actions: {
    requestScan: sendTo("supplicant", { type: "scan" } satisfies SupplicantCommand),
    startRun: assign({ pongs: 0, candidate: undefined }),
    recordRestart: assign((_, { reason }: { reason: string }) => ({
      lastEvent: { kind: "restarted", reason } satisfies WifiLastEvent,
    })),
    countRestart: assign({ restarts: ({ context }) => context.restarts + 1 }),
    growRestartDelay: assign({
      restartDelayMs: ({ context }) =>
        Math.min(context.restartDelayMs * 2, context.timings.maxRestartDelayMs),
    }),
    /** Counted, not timed: the run is healthy once its answered PINGs span healthyRunMs. */
    recordPong: assign(({ context }) => {
      const pongs = context.pongs + 1;
      const { pingIntervalMs, healthyRunMs, restartDelayMs } = context.timings;
      return {
        pongs,
        restartDelayMs:
          pongs * pingIntervalMs >= healthyRunMs ? restartDelayMs : context.restartDelayMs,
      };
    }),
    recordCandidate: assign(({ event }) => {
      const { bssid, ssid } = wpaEvent(event, "trying");
      return { candidate: { bssid, ssid } };
    }),
    recordConnection: assign(({ context, event }) => {
      const { bssid } = wpaEvent(event, "connected");
      return { currentAp: { bssid, ssid: ssidOf(context, bssid) } };
    }),
    recordRoam: assign(({ context, event }) => {
      const { bssid } = wpaEvent(event, "connected");
      const ssid = ssidOf(context, bssid);
      const from = context.currentAp?.bssid ?? "nowhere";
      return {
        currentAp: { bssid, ssid },
        lastEvent: {
          kind: "roamed",
          reason: `roamed from ${from} to ${bssid}${quoted(ssid)}`,
          ssid,
          bssid,
        } satisfies WifiLastEvent,
      };
    }),
    forgetAp: assign({ currentAp: undefined }),
    recordDisconnection: assign(({ context, event }) => {
      const { bssid, reason, locallyGenerated } = wpaEvent(event, "disconnected");
      const by = locallyGenerated ? ", by this station" : "";
      return {
        lastEvent: {
          kind: "disconnected",
          reason: `disconnected from ${bssid}: reason ${describeReasonCode(reason)}${by}`,
          ssid: ssidOf(context, bssid),
          bssid,
          code: reason,
        } satisfies WifiLastEvent,
      };
    }),
    recordNetworkNotFound: assign({
      lastEvent: {
        kind: "network_not_found",
        reason: "no configured network found by the last scan",
      } satisfies WifiLastEvent,
    }),
    recordCredentialsRejected: assign(({ event }) => {
      const disabled = wpaEvent(event, "ssid_temp_disabled");
      const what = CREDENTIAL_REASONS[disabled.reason] ?? "credentials refused";
      return {
        lastEvent: {
          kind: "auth_failed",
          reason: `${what} (${disabled.reason})${quoted(disabled.ssid)}`,
          ssid: disabled.ssid,
          failures: disabled.authFailures,
        } satisfies WifiLastEvent,
      };
    }),
    recordConnectionFailed: assign(({ event }) => {
      const disabled = wpaEvent(event, "ssid_temp_disabled");
      return {
        lastEvent: {
          kind: "connection_failed",
          reason: `connection failed (${disabled.reason})${quoted(disabled.ssid)}; retried in ${disabled.durationSeconds} s`,
          ssid: disabled.ssid,
          failures: disabled.authFailures,
        } satisfies WifiLastEvent,
      };
    }),
    recordEapFailure: assign(({ context }) => ({
      lastEvent: {
        kind: "auth_failed",
        reason: `EAP authentication failed${quoted(context.candidate?.ssid)}`,
        ssid: context.candidate?.ssid,
        bssid: context.candidate?.bssid,
      } satisfies WifiLastEvent,
    })),
    recordAssocRejected: assign(({ context, event }) => {
      const { bssid, statusCode, timedOut } = wpaEvent(event, "assoc_reject");
      const ssid = ssidOf(context, bssid);
      const ap = `${bssid ?? "the access point"}${quoted(ssid)}`;
      return {
        lastEvent: {
          kind: "assoc_rejected",
          reason: timedOut
            ? `no answer from ${ap} to the association request`
            : `association rejected by ${ap}: status ${statusCode}`,
          ssid,
          bssid,
          code: statusCode,
        } satisfies WifiLastEvent,
      };
    }),
    recordAuthRejected: assign(({ context, event }) => {
      const { bssid, statusCode } = wpaEvent(event, "auth_reject");
      const ssid = ssidOf(context, bssid);
      return {
        lastEvent: {
          kind: "auth_rejected",
          reason: `authentication rejected by ${bssid}${quoted(ssid)}: status ${statusCode}`,
          ssid,
          bssid,
          code: statusCode,
        } satisfies WifiLastEvent,
      };
    }),
    addClient: assign(({ context, event }) => {
      const { mac } = wpaEvent(event, "station_connected");
      return {
        clients: context.clients.includes(mac) ? context.clients : [...context.clients, mac],
      };
    }),
    removeClient: assign(({ context, event }) => {
      const { mac } = wpaEvent(event, "station_disconnected");
      return { clients: context.clients.filter((client) => client !== mac) };
    }),
    forgetClients: assign({ clients: [] }),
    recordApDisabled: assign({
      lastEvent: { kind: "ap_disabled", reason: "access point disabled" } satisfies WifiLastEvent,
    }),
  },
  guards: {
    isApMode: ({ context }) => context.mode === "ap",
    answered: (_, { pong }: { pong: boolean }) => pong,
    wpaTrying: hasKind("trying"),
    wpaConnected: hasKind("connected"),
    wpaDisconnected: hasKind("disconnected"),
    wpaNetworkNotFound: hasKind("network_not_found"),
    wpaEapFailure: hasKind("eap_failure"),
    /** Refused by the access point: it is there and said no. */
    assocRefused: ({ event }) =>
      event.type === "supplicant.event" &&
      event.event.kind === "assoc_reject" &&
      !event.event.timedOut,
    /** Never answered: the access point is gone or out of range, nothing about credentials. */
    assocUnanswered: ({ event }) =>
      event.type === "supplicant.event" &&
      event.event.kind === "assoc_reject" &&
      event.event.timedOut,
    wpaAuthRejected: hasKind("auth_reject"),
    wpaApEnabled: hasKind("ap_enabled"),
    wpaApDisabled: hasKind("ap_disabled"),
    wpaStationConnected: hasKind("station_connected"),
    wpaStationDisconnected: hasKind("station_disconnected"),
    /** A network disabled for a while because its credentials were refused. */
    credentialsRejected: ({ event }) =>
      event.type === "supplicant.event" &&
      event.event.kind === "ssid_temp_disabled" &&
      event.event.reason in CREDENTIAL_REASONS,
    /** A network disabled for a while for any other reason (CONN_FAILED: associations failed). */
    connectionFailed: ({ event }) =>
      event.type === "supplicant.event" &&
      event.event.kind === "ssid_temp_disabled" &&
      !(event.event.reason in CREDENTIAL_REASONS),
    roamed: ({ context, event }) =>
      event.type === "supplicant.event" &&
      event.event.kind === "connected" &&
      event.event.bssid !== context.currentAp?.bssid,
  },
  delays: {
    pingInterval: ({ context }) => context.timings.pingIntervalMs,
    pingTimeout: ({ context }) => context.timings.pingTimeoutMs,
    scanInterval: ({ context }) => context.timings.scanIntervalMs,
    restartDelay: ({ context }) => context.restartDelayMs,
    startTimeout: ({ context }) => context.timings.startTimeoutMs,
  },
}).createMachine({
  id: "wifi",
  context: ({ input }) => {
    const timings = wifiTimings(input.timings);
    return {
      ifname: input.ifname,
      mode: input.mode,
      timings,
      currentAp: undefined,
      candidate: undefined,
      lastEvent: undefined,
      clients: [],
      restarts: 0,
      restartDelayMs: timings.restartDelayMs,
      pongs: 0,
    };
  },
  initial: "alive",
  states: {
    /** wpa_supplicant runs (or is being started): leaving this state stops it. */
    alive: {
      entry: "startRun",
      invoke: {
        id: "supplicant",
        src: "supplicant",
        input: ({ context }): SupplicantInput => ({
          ifname: context.ifname,
          mode: context.mode,
          restarts: context.restarts,
        }),
        // A fault in the shell's actor. XState runs no cleanup for a callback actor that
        // threw, so that actor must end its process itself before it throws.
        onError: {
          target: RESTARTING,
          actions: {
            type: "recordRestart",
            params: ({ event }) => ({
              reason: `wpa_supplicant failed: ${actorErrorMessage(event)}`,
            }),
          },
        },
      },
      on: {
        "supplicant.exited": {
          target: RESTARTING,
          actions: {
            type: "recordRestart",
            params: ({ event }) => ({ reason: exitReason(event.code, event.signal) }),
          },
        },
        "supplicant.failed": {
          target: RESTARTING,
          actions: {
            type: "recordRestart",
            params: ({ event }) => ({
              reason: `wpa_supplicant could not start: ${event.reason}`,
            }),
          },
        },
      },
      initial: "starting",
      states: {
        starting: {
          after: {
            startTimeout: restart(
              (context) =>
                `wpa_supplicant was not ready within ${context.timings.startTimeoutMs} ms`,
            ),
          },
          on: { "supplicant.ready": "running" },
        },
        running: {
          type: "parallel",
          on: { "scan.request": { actions: "requestScan" } },
          states: {
            link: {
              initial: "choosing",
              states: {
                choosing: {
                  always: [{ guard: "isApMode", target: "ap" }, { target: "client" }],
                },
                client: {
                  initial: "disconnected",
                  states: {
                    /** Nothing associated: scans now and every scanIntervalMs. */
                    disconnected: {
                      entry: "requestScan",
                      after: { scanInterval: { target: "disconnected", reenter: true } },
                      on: {
                        "supplicant.event": [
                          {
                            guard: "wpaConnected",
                            target: "connected",
                            actions: "recordConnection",
                          },
                          { guard: "wpaTrying", target: "associating", actions: "recordCandidate" },
                          ...authFailures("authFailed"),
                          { guard: "connectionFailed", actions: "recordConnectionFailed" },
                          { guard: "assocUnanswered", actions: "recordAssocRejected" },
                          { guard: "wpaNetworkNotFound", actions: "recordNetworkNotFound" },
                        ],
                      },
                    },
                    associating: {
                      on: {
                        "supplicant.event": [
                          {
                            guard: "wpaConnected",
                            target: "connected",
                            actions: "recordConnection",
                          },
                          // Another access point of the configured networks.
                          { guard: "wpaTrying", actions: "recordCandidate" },
                          {
                            guard: "wpaDisconnected",
                            target: "disconnected",
                            actions: "recordDisconnection",
                          },
                          ...authFailures("authFailed"),
                          {
                            guard: "connectionFailed",
                            target: "disconnected",
                            actions: "recordConnectionFailed",
                          },
                          {
                            guard: "assocUnanswered",
                            target: "disconnected",
                            actions: "recordAssocRejected",
                          },
                          {
                            guard: "wpaNetworkNotFound",
                            target: "disconnected",
                            actions: "recordNetworkNotFound",
                          },
                        ],
                      },
                    },
                    connected: {
                      tags: "associated",
                      exit: "forgetAp",
                      on: {
                        "supplicant.event": [
                          // Another BSS of the network: the link stayed up.
                          { guard: "roamed", actions: "recordRoam" },
                          // A roaming attempt; the link carries until a disconnection says otherwise.
                          { guard: "wpaTrying", actions: "recordCandidate" },
                          {
                            guard: "wpaDisconnected",
                            target: "disconnected",
                            actions: "recordDisconnection",
                          },
                        ],
                      },
                    },
                    /**
                     * Credentials refused. wpa_supplicant retries by itself once the
                     * network's temporary disabling ends; the state says why until
                     * one of those retries connects.
                     */
                    authFailed: {
                      after: {
                        scanInterval: {
                          target: "authFailed",
                          reenter: true,
                          actions: "requestScan",
                        },
                      },
                      on: {
                        "supplicant.event": [
                          {
                            guard: "wpaConnected",
                            target: "connected",
                            actions: "recordConnection",
                          },
                          { guard: "wpaTrying", actions: "recordCandidate" },
                          ...authFailures(undefined),
                        ],
                      },
                    },
                  },
                },
                ap: {
                  initial: "starting",
                  states: {
                    starting: {
                      on: { "supplicant.event": { guard: "wpaApEnabled", target: "enabled" } },
                    },
                    enabled: {
                      tags: "associated",
                      exit: "forgetClients",
                      on: {
                        "supplicant.event": [
                          { guard: "wpaStationConnected", actions: "addClient" },
                          { guard: "wpaStationDisconnected", actions: "removeClient" },
                          {
                            guard: "wpaApDisabled",
                            target: "starting",
                            actions: "recordApDisabled",
                          },
                        ],
                      },
                    },
                  },
                },
              },
            },
            /** PING every pingIntervalMs; a missing PONG means a hung wpa_supplicant. */
            health: {
              initial: "waiting",
              states: {
                waiting: {
                  after: { pingInterval: "pinging" },
                },
                pinging: {
                  invoke: {
                    id: "ping",
                    src: "ping",
                    input: ({ context }): PingInput => ({
                      ifname: context.ifname,
                      timeoutMs: context.timings.pingTimeoutMs,
                    }),
                    onDone: [
                      {
                        guard: {
                          type: "answered",
                          params: ({ event }) => ({ pong: event.output }),
                        },
                        target: "waiting",
                        actions: "recordPong",
                      },
                      restart(() => `${PING_FAILED} (no PONG)`),
                    ],
                    onError: {
                      target: RESTARTING,
                      actions: {
                        type: "recordRestart",
                        params: ({ event }) => ({
                          reason: `${PING_FAILED} (${actorErrorMessage(event)})`,
                        }),
                      },
                    },
                  },
                  // The shell's own timeout may fail too: the machine does not wait for it.
                  after: {
                    pingTimeout: restart(
                      (context) =>
                        `${PING_FAILED} (no answer within ${context.timings.pingTimeoutMs} ms)`,
                    ),
                  },
                },
              },
            },
          },
        },
      },
    },
    /** wpa_supplicant is gone; it starts again after the backoff. */
    restarting: {
      entry: "countRestart",
      after: { restartDelay: { target: "alive", actions: "growRestartDelay" } },
    },
  },
});

export type WifiMachine = typeof wifiMachine;

const STATE_NAMES: ReadonlyArray<readonly [WifiStateName, Parameters<WifiSnapshot["matches"]>[0]]> =
  [
    ["restarting", "restarting"],
    ["starting", { alive: "starting" }],
    ["disconnected", { alive: { running: { link: { client: "disconnected" } } } }],
    ["associating", { alive: { running: { link: { client: "associating" } } } }],
    ["connected", { alive: { running: { link: { client: "connected" } } } }],
    ["auth_failed", { alive: { running: { link: { client: "authFailed" } } } }],
    ["ap_starting", { alive: { running: { link: { ap: "starting" } } } }],
    ["ap_enabled", { alive: { running: { link: { ap: "enabled" } } } }],
  ];

/** The name published as `interface/<ifname>/wifi/state`. */
export function wifiStateName(snapshot: WifiSnapshot): WifiStateName {
  for (const [name, value] of STATE_NAMES) if (snapshot.matches(value)) return name;
  // Only the transient choice between client and AP has no name; it is never a resting state.
  return "starting";
}

/** Associated as a client, or serving as an access point: only then does the link carry traffic. */
export function isAssociated(snapshot: WifiSnapshot): boolean {
  return snapshot.hasTag("associated");
}
