import { daemonRecordPath } from "../linux/daemon-pids.js";
import type { DaemonContext, RunningDaemon } from "../technologies/daemon.js";
import { startUdhcpd, type UdhcpdDaemonSpec } from "./udhcpd.js";

/** A DHCP server as a daemon of its interface; its clients' leases are `interface/<if>/dhcpd/leases`. */
export function startUdhcpdDaemon(
  spec: UdhcpdDaemonSpec,
  { dependencies, sendBack, isStopped }: DaemonContext,
): RunningDaemon {
  const { ifname } = spec;
  const key = ["interface", ifname, "dhcpd", "leases"];
  const server = startUdhcpd({
    ...spec,
    runner: dependencies.runner,
    configDir: dependencies.configDir,
    logger: dependencies.logger,
    pidFile: daemonRecordPath(dependencies.pidDir, "udhcpd", ifname),
    onLeases: (leases) => {
      if (!isStopped()) dependencies.properties.put(key, leases);
    },
    onError: (error) => {
      if (!isStopped()) sendBack({ type: "daemon.failed", reason: `udhcpd: ${error.message}` });
    },
  });
  // Carrier lost: the peer is gone (a cable pulled), and the next one may be another machine.
  const unsubscribe = spec.forgetLeasesOnCarrierLoss
    ? dependencies.properties.subscribe(["interface", ifname, "lower_up"], (change) => {
        if (change.old === true && change.new === false && !isStopped()) server.forgetLeases();
      })
    : () => {};
  return {
    stop: async () => {
      unsubscribe();
      await server.stop();
      dependencies.properties.clear(key);
    },
  };
}
