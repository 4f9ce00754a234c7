import { fromCallback } from "xstate";
import type { DaemonsInput, InterfaceEvent } from "../../machines/interface.js";
import type {
  DaemonContext,
  DaemonDependencies,
  DaemonStarter,
  RunningDaemon,
} from "../technologies/daemon.js";

export type { DaemonDependencies } from "../technologies/daemon.js";

/** A plan names a daemon kind that no registered technology starts. */
export class UnknownDaemonError extends Error {
  constructor(readonly kind: string) {
    super(`no technology starts daemons of kind "${kind}"`);
    this.name = "UnknownDaemonError";
  }
}

/** A daemon.failed event's reason: the daemon's kind and what went wrong. */
const failure = (spec: { kind: string }, error: Error) => `${spec.kind}: ${error.message}`;

/** The interface machine's `daemons` actor: runs the plan's daemons until the state is left. */
export function interfaceDaemons(
  dependencies: DaemonDependencies,
  starters: ReadonlyMap<string, DaemonStarter>,
) {
  const startDaemon = (spec: DaemonsInput["daemons"][number], context: DaemonContext) => {
    const starter = starters.get(spec.kind);
    if (!starter) throw new UnknownDaemonError(spec.kind);
    return starter(spec, context);
  };
  // An interface's daemons still stopping (a reconfigure left the state). The next ones
  // start after them: old and new share the wire, wpa_supplicant's config file, the pid
  // records and the eap state, and an old one's cleanup would remove the new one's.
  const stopping = new Map<string, Promise<unknown>>();
  return fromCallback<InterfaceEvent, DaemonsInput>(({ input, sendBack }) => {
    const { ifname } = input;
    let stopped = false;
    const running: RunningDaemon[] = [];
    const context: DaemonContext = {
      dependencies,
      sendBack,
      isStopped: () => stopped,
      renewOthers: () => {
        for (const daemon of running) daemon.renew?.();
      },
    };
    const startAll = () => {
      if (stopped) return;
      for (const spec of input.daemons) {
        try {
          running.push(startDaemon(spec, context));
        } catch (error) {
          // A daemon that cannot even start (bad option, refused namespace) is the
          // interface's failure: it retries later instead of the actor crashing.
          sendBack({ type: "daemon.failed", reason: failure(spec, error as Error) });
          break;
        }
      }
    };
    const previous = stopping.get(ifname);
    if (previous) dependencies.logger.debug({ ifname }, "daemons start once the old ones are gone");
    // Code loaded on first use: all of it first, so that none starts ahead of its turn.
    const loads = input.daemons.flatMap((spec) => {
      const loading = starters.get(spec.kind)?.load?.();
      if (!loading) return [];
      return [
        loading.catch((error: Error) => {
          throw new Error(failure(spec, error));
        }),
      ];
    });
    if (previous || loads.length > 0) {
      Promise.all([previous, ...loads]).then(startAll, (error: Error) => {
        if (!stopped) sendBack({ type: "daemon.failed", reason: error.message });
      });
    } else {
      startAll();
    }
    return () => {
      stopped = true;
      const stops = running.map((daemon) => daemon.stop());
      for (const stop of stops) dependencies.trackStop(stop);
      const gone: Promise<unknown> = Promise.allSettled([previous, ...stops]).finally(() => {
        if (stopping.get(ifname) === gone) stopping.delete(ifname);
      });
      stopping.set(ifname, gone);
    };
  });
}
