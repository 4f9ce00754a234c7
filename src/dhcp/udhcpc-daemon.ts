import { daemonRecordPath } from "../linux/daemon-pids.js";
import { runInterfaceCommand } from "../linux/interface-commands.js";
import type { DaemonContext, RunningDaemon } from "../technologies/daemon.js";
import type { DaemonSpec } from "../technologies/types.js";
import type { DhcpEvent } from "./lease-event.js";
import { startUdhcpc, udhcpcAddressLifetime } from "./udhcpc.js";

/** A DHCP client for the interface (any technology whose `ipv4.method` is `dhcp`). */
export interface UdhcpcDaemonSpec extends DaemonSpec {
  kind: "udhcpc";
  /** Sent to the server (option 12). */
  hostname?: string | undefined;
}

function leaseSettings(event: Extract<DhcpEvent, { kind: "bound" | "renew" }>) {
  return {
    addresses: [{ address: event.address, prefixLength: event.prefixLength }],
    gateway: event.routers[0],
    nameServers: event.nameServers,
    domain: event.domain,
  };
}

export function startUdhcpcDaemon(
  spec: UdhcpcDaemonSpec,
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
