import { createActor, fromCallback, fromPromise, type SnapshotFrom } from "xstate";
import {
  isAssociated,
  type PingInput,
  type SupplicantCommand,
  type SupplicantInput,
  wifiMachine,
  wifiStateName,
} from "../../../machines/wifi.js";
import { daemonRecordPath } from "../../linux/daemon-pids.js";
import type { DaemonContext, RunningDaemon } from "../daemon.js";
import type { WifiDaemonSpec } from "./plan.js";
import { WIFI_SCAN_REQUEST } from "./scan-request.js";
import { SupplicantSession } from "./supplicant-session.js";
import type { AccessPoint, WpaEvent } from "./wpa-events.js";

/**
 * WiFi as a daemon of its interface: the WiFi machine decides what state the
 * radio is in and when wpa_supplicant runs; this gives it the process and
 * publishes what it knows under `interface/<if>/wifi/…`:
 *
 * - `state`: the machine's state (connected, auth_failed, ap_enabled, …);
 * - `access_points`: the last scan's results; `current_ap`: the one joined;
 * - `signal`: dBm and percent of the current access point, polled with each PING;
 * - `clients`: the stations of an access point;
 * - `event`: the last notable event (a failure, a roam) with its reason.
 *
 * Association is the link's readiness: routing treats a radio that lost its
 * access point like a pulled cable, whatever the kernel's carrier says.
 */

/** A scan on request waits this long for its results (a full scan is seconds; more under emulation). */
const SCAN_TIMEOUT_MS = 30_000;

/** Routing's reason for a radio that has no access point (or no access point running). */
const NOT_ASSOCIATED = "WiFi not associated";

type WifiSnapshot = SnapshotFrom<typeof wifiMachine>;

export function startWifiDaemon(spec: WifiDaemonSpec, context: DaemonContext): RunningDaemon {
  const { dependencies, renewOthers, isStopped } = context;
  const { ifname } = spec;
  const { properties } = dependencies;
  const log = dependencies.logger.child({ ifname, daemon: "wifi" });
  const key = (name: string) => ["interface", ifname, "wifi", name];
  const publish = (name: string, value: unknown) => {
    if (!isStopped()) properties.put(key(name), value);
  };

  let session: SupplicantSession | undefined;
  const sessionStops: Promise<void>[] = [];
  /** Scans asked for and not answered yet. */
  const scanWaiters = new Set<{
    resolve: (found: AccessPoint[]) => void;
    reject: (error: Error) => void;
  }>();

  const publishAccessPoints = async () => {
    const accessPoints = (await session?.accessPoints()) ?? [];
    publish("access_points", accessPoints);
    for (const { resolve } of scanWaiters) resolve(accessPoints);
    scanWaiters.clear();
  };
  /** The access point whose details (from BSS) are published; a failed request is tried again. */
  let detailed: string | undefined;
  const publishCurrentAp = async (bssid: string) => {
    const accessPoint = await session?.accessPoint(bssid, lastSsid);
    // Still the same access point: a roam or a loss meanwhile has its own details.
    if (accessPoint && lastBssid === bssid) {
      publish("current_ap", accessPoint);
      detailed = bssid;
    }
    await publishSignal();
  };
  const publishSignal = async () => {
    const signal = await session?.signal();
    if (signal) publish("signal", { dbm: signal.rssiDbm, percent: signal.signalPercent });
  };

  /** What an event means beyond the machine's state: fresh details to show. */
  const onEvent = (event: WpaEvent) => {
    switch (event.kind) {
      case "scan_results":
        void publishAccessPoints();
        return;
      case "connected":
        void publishCurrentAp(event.bssid);
        // A new access point (a roam too) may mean a new subnet: ask for a lease now.
        renewOthers();
        return;
    }
  };

  const machine = wifiMachine.provide({
    actors: {
      supplicant: fromCallback<SupplicantCommand, SupplicantInput>(({ sendBack, receive }) => {
        const run = new SupplicantSession({
          spec,
          runner: dependencies.runner,
          configDir: dependencies.configDir,
          logger: dependencies.logger,
          pidFile: daemonRecordPath(dependencies.pidDir, "wpa_supplicant", ifname),
          onReady: () => sendBack({ type: "supplicant.ready" }),
          onEvent: (event) => {
            sendBack({ type: "supplicant.event", event });
            onEvent(event);
          },
          onExited: ({ code, signal }) => sendBack({ type: "supplicant.exited", code, signal }),
          onFailed: (reason) => sendBack({ type: "supplicant.failed", reason }),
        });
        session = run;
        receive((command) => {
          if (command.type === "scan") void run.scan();
        });
        return () => {
          if (session === run) session = undefined;
          const stopping = run.stop();
          sessionStops.push(stopping);
          dependencies.trackStop(stopping);
        };
      }),
      ping: fromPromise<boolean, PingInput>(async ({ input }) => {
        const answered = (await session?.ping(input.timeoutMs)) ?? false;
        if (answered && lastBssid !== undefined) {
          // A slow radio may have missed the details at association: each PING tries again.
          void (detailed === lastBssid ? publishSignal() : publishCurrentAp(lastBssid));
        }
        return answered;
      }),
    },
  });

  let associated = false;
  let lastState: string | undefined;
  let lastEvent: unknown;
  let lastBssid: string | undefined;
  let lastSsid: string | undefined;
  const observe = (snapshot: WifiSnapshot) => {
    if (isStopped()) return;
    const state = wifiStateName(snapshot);
    const { lastEvent: event, clients, currentAp } = snapshot.context;
    if (state !== lastState) {
      log.info({ state, reason: event?.reason }, "wifi state");
      publish("state", state);
      lastState = state;
    }
    if (event !== lastEvent) {
      if (event) log.warn({ event }, `wifi: ${event.reason}`);
      publish("event", event ?? null);
      lastEvent = event;
    }
    if (spec.mode === "ap") publish("clients", clients);
    if (currentAp?.bssid !== lastBssid) {
      lastBssid = currentAp?.bssid;
      lastSsid = currentAp?.ssid;
      if (currentAp) {
        // What the event said, at once; the access point's details follow from BSS.
        publish("current_ap", currentAp);
      } else {
        properties.clear(key("current_ap"));
        properties.clear(key("signal"));
      }
    }
    const nowAssociated = isAssociated(snapshot);
    if (nowAssociated !== associated) {
      associated = nowAssociated;
      dependencies.portChanged(ifname, associated, NOT_ASSOCIATED);
    }
  };

  const actor = createActor(machine, {
    input: { ifname, mode: spec.mode, timings: spec.timings },
  });
  actor.subscribe({
    next: observe,
    error: (error) => {
      log.error({ err: error }, "wifi machine failed");
      context.sendBack({ type: "daemon.failed", reason: `wifi: ${String(error)}` });
    },
  });
  // Not associated until wpa_supplicant says so: routing must not trust the carrier alone.
  dependencies.portChanged(ifname, false, NOT_ASSOCIATED);
  actor.start();

  const unregister = dependencies.requests.register(ifname, WIFI_SCAN_REQUEST, () => {
    const results = new Promise<AccessPoint[]>((resolve, reject) => {
      const waiter = {
        resolve: (found: AccessPoint[]) => {
          clearTimeout(timer);
          resolve(found);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          scanWaiters.delete(waiter);
          reject(error);
        },
      };
      const timer = setTimeout(
        () => waiter.reject(new Error(`${ifname}: no scan results within ${SCAN_TIMEOUT_MS} ms`)),
        SCAN_TIMEOUT_MS,
      );
      scanWaiters.add(waiter);
    });
    actor.send({ type: "scan.request" });
    return results;
  });

  return {
    stop: async () => {
      unregister();
      for (const waiter of [...scanWaiters]) waiter.reject(new Error(`${ifname}: WiFi stopped`));
      actor.stop();
      await Promise.all(sessionStops);
      for (const name of ["state", "access_points", "current_ap", "signal", "clients", "event"]) {
        properties.clear(key(name));
      }
      dependencies.portChanged(ifname, undefined);
    },
  };
}
