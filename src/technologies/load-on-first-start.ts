import type { DaemonStarter } from "./daemon.js";
import type { DaemonSpec } from "./types.js";

/**
 * A starter whose module is loaded when a plan first names its kind: a
 * device that never runs WiFi, a DHCP or DNS server or wired 802.1X does not
 * carry their code (issue 17: the daemon's memory on small boards). The
 * interface's daemons actor awaits `load()` for every daemon of a plan before
 * it starts the first, so the plan's order (authentication before DHCP)
 * holds; a failed load is the interface's failure there, like a starter that
 * throws.
 */
export function loadOnFirstStart<Spec extends DaemonSpec>(
  importStarter: () => Promise<DaemonStarter<Spec>>,
): DaemonStarter<Spec> {
  let starter: DaemonStarter<Spec> | undefined;
  let loading: Promise<void> | undefined;
  const start: DaemonStarter<Spec> = (spec, context) => {
    if (!starter) throw new Error("started before its code was loaded");
    return starter(spec, context);
  };
  start.load = () =>
    (loading ??= importStarter().then((loaded) => {
      starter = loaded;
    }));
  return start;
}
