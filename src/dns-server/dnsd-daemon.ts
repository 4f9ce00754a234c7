import { daemonRecordPath } from "../linux/daemon-pids.js";
import type { DaemonContext, RunningDaemon } from "../technologies/daemon.js";
import { checkedDnsdFile, type DnsdDaemonSpec, startDnsd } from "./dnsd.js";
import { startInProcessDnsd } from "./in-process-dnsd.js";

/**
 * A DNS server as a daemon of its interface (kind `dnsd`): in the manager's
 * process when it runs in the device's namespace, else a program inside the
 * namespace it drives.
 */
export function startDnsdDaemon(
  spec: DnsdDaemonSpec,
  { dependencies, sendBack, isStopped }: DaemonContext,
): RunningDaemon {
  if (dependencies.runner.netns === undefined) {
    const { records } = checkedDnsdFile(spec, undefined);
    const logger = dependencies.logger.child({ component: "dnsd", ifname: spec.ifname });
    return startInProcessDnsd({ ...spec, records, logger });
  }
  const server = startDnsd({
    ...spec,
    runner: dependencies.runner,
    configDir: dependencies.configDir,
    logger: dependencies.logger,
    pidFile: daemonRecordPath(dependencies.pidDir, "dnsd", spec.ifname),
    onError: (error) => {
      if (!isStopped()) sendBack({ type: "daemon.failed", reason: `dnsd: ${error.message}` });
    },
  });
  return { stop: () => server.stop() };
}
