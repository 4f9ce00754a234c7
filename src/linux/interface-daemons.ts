import { fromCallback } from "xstate";
import type { DaemonsInput, InterfaceEvent } from "../../machines/interface.js";
import type { DhcpEvent } from "../dhcp/lease-event.js";
import type { ReportServer } from "../dhcp/report-server.js";
import { startUdhcpc } from "../dhcp/udhcpc.js";
import type { Logger } from "../log.js";
import type { DaemonSpec } from "../technologies/types.js";
import type { CommandRunner } from "./command-runner.js";
import { type CommandContext, runInterfaceCommand } from "./interface-commands.js";

export interface DaemonDependencies extends CommandContext {
  runner: CommandRunner;
  dhcpServer: ReportServer;
  handlerPath: string;
  logger: Logger;
  commandTimeoutMs: number;
  /** Stopping is asynchronous; the manager waits for these before it reports itself stopped. */
  trackStop: (stopping: Promise<void>) => void;
  udhcpcRestartDelayMs?: number | undefined;
}

interface RunningDaemon {
  stop(): Promise<void>;
}

function leaseSettings(event: Extract<DhcpEvent, { kind: "bound" | "renew" }>) {
  return {
    addresses: [{ address: event.address, prefixLength: event.prefixLength }],
    gateway: event.routers[0],
    nameServers: event.nameServers,
    domain: event.domain,
  };
}

function startDaemon(
  spec: DaemonSpec,
  dependencies: DaemonDependencies,
  sendBack: (event: InterfaceEvent) => void,
  isStopped: () => boolean,
): RunningDaemon {
  const { ifname } = spec;
  const logger = dependencies.logger.child({ ifname, daemon: spec.kind });
  // The address goes on before udhcpc hears back: its unicast renew binds to it.
  const onEvent = async (event: DhcpEvent) => {
    if (isStopped()) return;
    logger.info({ event }, "DHCP event");
    const settings =
      event.kind === "bound" || event.kind === "renew" ? leaseSettings(event) : undefined;
    const signal = new AbortController().signal;
    await runInterfaceCommand(
      dependencies,
      { kind: "ipv4_addresses", ifname, addresses: settings?.addresses ?? [] },
      signal,
      dependencies.commandTimeoutMs,
    );
    if (isStopped()) return;
    sendBack(settings ? { type: "ipv4.updated", settings } : { type: "ipv4.cleared" });
  };
  return startUdhcpc({
    ifname,
    hostname: spec.hostname,
    runner: dependencies.runner,
    server: dependencies.dhcpServer,
    handlerPath: dependencies.handlerPath,
    logger,
    onEvent,
    restartDelayMs: dependencies.udhcpcRestartDelayMs,
  });
}

/** The interface machine's `daemons` actor: runs the plan's daemons until the state is left. */
export function interfaceDaemons(dependencies: DaemonDependencies) {
  return fromCallback<InterfaceEvent, DaemonsInput>(({ input, sendBack }) => {
    let stopped = false;
    const running: RunningDaemon[] = [];
    for (const spec of input.daemons) {
      try {
        running.push(startDaemon(spec, dependencies, sendBack, () => stopped));
      } catch (error) {
        // A daemon that cannot even start (bad option, refused namespace) is the
        // interface's failure: it retries later instead of the actor crashing.
        sendBack({ type: "daemon.failed", reason: `${spec.kind}: ${(error as Error).message}` });
        break;
      }
    }
    return () => {
      stopped = true;
      for (const daemon of running) dependencies.trackStop(daemon.stop());
    };
  });
}
