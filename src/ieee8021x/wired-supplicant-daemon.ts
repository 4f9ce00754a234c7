import { daemonRecordPath } from "../linux/daemon-pids.js";
import type { DaemonContext, RunningDaemon } from "../technologies/daemon.js";
import type { WiredSupplicantSpec } from "../technologies/ethernet/plan.js";
import { portOpenAfter } from "./supplicant-events.js";
import { startWiredSupplicant } from "./wired-supplicant.js";

/** Wired 802.1X as a daemon of its interface: the port's state decides whether the link is usable. */
export function startWiredSupplicantDaemon(
  spec: WiredSupplicantSpec,
  { dependencies, sendBack, isStopped, renewOthers }: DaemonContext,
): RunningDaemon {
  const { ifname } = spec;
  const key = ["interface", ifname, "eap", "state"];
  let portOpen: boolean | undefined;
  const supplicant = startWiredSupplicant({
    ifname,
    network: spec.network,
    runner: dependencies.runner,
    configDir: dependencies.configDir,
    pidFile: daemonRecordPath(dependencies.pidDir, "wpa_supplicant", ifname),
    logger: dependencies.logger,
    onState: (state) => {
      if (isStopped()) return;
      dependencies.properties.put(key, state);
      const open = portOpenAfter(state, portOpen ?? false);
      if (open === portOpen) return;
      // A DHCP client that gave up on the closed port waits seconds before it tries again.
      if (open) renewOthers();
      portOpen = open;
      dependencies.portChanged(ifname, open);
    },
    onError: (error) => {
      if (!isStopped())
        sendBack({ type: "daemon.failed", reason: `wpa_supplicant: ${error.message}` });
    },
  });
  const unsubscribe = dependencies.properties.subscribe(
    ["interface", ifname, "lower_up"],
    (change) => {
      if (typeof change.new === "boolean" && change.old !== undefined && change.new !== change.old)
        supplicant.carrierChanged(change.new);
    },
  );
  return {
    stop: async () => {
      unsubscribe();
      await supplicant.stop();
      dependencies.properties.clear(key);
      dependencies.portChanged(ifname, undefined);
    },
  };
}
