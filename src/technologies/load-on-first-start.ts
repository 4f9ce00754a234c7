import type { DaemonContext, DaemonStarter, RunningDaemon } from "./daemon.js";
import type { DaemonSpec } from "./types.js";

/**
 * A starter whose module is loaded when a plan first names its kind: a
 * device that never runs WiFi, a DHCP or DNS server or wired 802.1X does not
 * carry their code (issue 17: the daemon's memory on small boards). Only the
 * first start of a kind waits for the load; later ones start at once.
 */
export function loadOnFirstStart<Spec extends DaemonSpec>(
  load: () => Promise<DaemonStarter<Spec>>,
): DaemonStarter<Spec> {
  let starter: DaemonStarter<Spec> | undefined;
  let loading: Promise<DaemonStarter<Spec>> | undefined;
  return (spec, context) => {
    if (starter) return starter(spec, context);
    loading ??= load().then((loaded) => {
      starter = loaded;
      return loaded;
    });
    return startOnceLoaded(loading, spec, context);
  };
}

/** Stands in for the daemon until its module is there; then it is the daemon. */
function startOnceLoaded<Spec extends DaemonSpec>(
  loading: Promise<DaemonStarter<Spec>>,
  spec: Spec,
  context: DaemonContext,
): RunningDaemon {
  let daemon: RunningDaemon | undefined;
  let stopping = false;
  let renewAsked = false;
  // A failure after the load is what a synchronous throw is to interface-daemons.ts.
  const fail = (error: unknown) =>
    context.sendBack({
      type: "daemon.failed",
      reason: `${spec.kind}: ${(error as Error).message}`,
    });
  const started = loading.then((start) => {
    if (stopping || context.isStopped()) return;
    try {
      daemon = start(spec, context);
    } catch (error) {
      fail(error);
      return;
    }
    if (renewAsked) daemon.renew?.();
  }, fail);
  return {
    async stop() {
      stopping = true;
      await started;
      await daemon?.stop();
    },
    renew() {
      if (daemon) daemon.renew?.();
      else renewAsked = true;
    },
  };
}
