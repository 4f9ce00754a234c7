import { fromCallback } from "xstate";
import type { DaemonsInput, InterfaceEvent } from "../../machines/interface.js";
import type { DhcpEvent } from "../dhcp/lease-event.js";
import type { ReportServer } from "../dhcp/report-server.js";
import { startUdhcpc, udhcpcAddressLifetime } from "../dhcp/udhcpc.js";
import { portOpenAfter } from "../ieee8021x/supplicant-events.js";
import { startWiredSupplicant } from "../ieee8021x/wired-supplicant.js";
import type { Logger } from "../log.js";
import type { PropertyTable } from "../properties/property-table.js";
import type { DaemonSpec } from "../technologies/types.js";
import type { CommandRunner } from "./command-runner.js";
import { daemonRecordPath } from "./daemon-pids.js";
import { type CommandContext, runInterfaceCommand } from "./interface-commands.js";

export interface DaemonDependencies extends CommandContext {
  runner: CommandRunner;
  dhcpServer: ReportServer;
  handlerPath: string;
  /** Where daemons' config files go (wpa_supplicant's hold secrets: the directory is 0700). */
  configDir: string;
  /** Records of the running daemons' pids, for a manager started after this one was killed. */
  pidDir: string;
  properties: PropertyTable;
  /**
   * An 802.1X port opened or closed (undefined: no authentication runs any
   * more); routing treats a closed port like a pulled cable.
   */
  portChanged: (ifname: string, authorized: boolean | undefined) => void;
  logger: Logger;
  commandTimeoutMs: number;
  /** Stopping is asynchronous; the manager waits for these before it reports itself stopped. */
  trackStop: (stopping: Promise<void>) => void;
  udhcpcRestartDelayMs?: number | undefined;
}

interface RunningDaemon {
  stop(): Promise<void>;
  /** Asks for an address now (udhcpc), e.g. once the port is authorized. */
  renew?(): void;
}

/** What a daemon may do to the interface machine and to the other daemons of its interface. */
interface DaemonContext {
  dependencies: DaemonDependencies;
  sendBack: (event: InterfaceEvent) => void;
  isStopped: () => boolean;
  /** Every other daemon asks for an address again. */
  renewOthers: () => void;
}

function leaseSettings(event: Extract<DhcpEvent, { kind: "bound" | "renew" }>) {
  return {
    addresses: [{ address: event.address, prefixLength: event.prefixLength }],
    gateway: event.routers[0],
    nameServers: event.nameServers,
    domain: event.domain,
  };
}

function startUdhcpcDaemon(
  spec: Extract<DaemonSpec, { kind: "udhcpc" }>,
  { dependencies, sendBack, isStopped }: DaemonContext,
): RunningDaemon {
  const { ifname } = spec;
  const logger = dependencies.logger.child({ ifname, daemon: spec.kind });
  // The address goes on before udhcpc hears back: its unicast renew binds to it.
  const onEvent = async (event: DhcpEvent) => {
    if (isStopped()) return;
    logger.info({ event }, "DHCP event");
    const lease = event.kind === "bound" || event.kind === "renew" ? event : undefined;
    const settings = lease ? leaseSettings(lease) : undefined;
    const signal = new AbortController().signal;
    await runInterfaceCommand(
      dependencies,
      {
        kind: "ipv4_addresses",
        ifname,
        addresses: settings?.addresses ?? [],
        // If nothing renews the lease (the daemon died), the kernel ends the address with it.
        lifetimeSeconds: lease && udhcpcAddressLifetime(lease.leaseSeconds),
      },
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
    pidFile: daemonRecordPath(dependencies.pidDir, "udhcpc", ifname),
  });
}

function startSupplicantDaemon(
  spec: Extract<DaemonSpec, { kind: "wpa_supplicant" }>,
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

function startDaemon(spec: DaemonSpec, context: DaemonContext): RunningDaemon {
  switch (spec.kind) {
    case "udhcpc":
      return startUdhcpcDaemon(spec, context);
    case "wpa_supplicant":
      return startSupplicantDaemon(spec, context);
  }
}

/** The interface machine's `daemons` actor: runs the plan's daemons until the state is left. */
export function interfaceDaemons(dependencies: DaemonDependencies) {
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
          sendBack({ type: "daemon.failed", reason: `${spec.kind}: ${(error as Error).message}` });
          break;
        }
      }
    };
    const previous = stopping.get(ifname);
    if (previous) {
      dependencies.logger.debug({ ifname }, "daemons start once the old ones are gone");
      void previous.then(startAll);
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
