import { daemonRecordPath } from "../linux/daemon-pids.js";
import { runInterfaceCommand } from "../linux/interface-commands.js";
import type { DaemonContext, RunningDaemon } from "../technologies/daemon.js";
import type { DaemonSpec, Ipv4Settings } from "../technologies/types.js";
import { type DhcpEvent, type DhcpLeaseEvent, dhcpOptionsOf } from "./lease-event.js";
import { startUdhcpc, udhcpcAddressLifetime } from "./udhcpc.js";
import type { DhcpRequestOption } from "./udhcpc-options.js";

/** A DHCP client for the interface (any technology whose `ipv4.method` is `dhcp`). */
export interface UdhcpcDaemonSpec extends DaemonSpec {
  kind: "udhcpc";
  /** Sent to the server (option 12). */
  hostname?: string | undefined;
  /** Options to ask for beyond the usual ones (udhcpc `-O`). */
  requestOptions?: DhcpRequestOption[] | undefined;
}

function leaseSettings(event: DhcpLeaseEvent): Ipv4Settings {
  return {
    addresses: [{ address: event.address, prefixLength: event.prefixLength }],
    gateway: event.routers[0],
    nameServers: event.nameServers,
    domain: event.domain,
    search: event.search,
  };
}

/**
 * udhcpc for one interface: each lease's address goes on the interface (with
 * the lease's lifetime), its settings to the interface machine, and all it
 * gave to `interface/<if>/dhcp_options`, there while the lease lasts.
 */
export function startUdhcpcDaemon(
  spec: UdhcpcDaemonSpec,
  { dependencies, sendBack, isStopped }: DaemonContext,
): RunningDaemon {
  const { ifname } = spec;
  const { properties } = dependencies;
  const logger = dependencies.logger.child({ ifname, daemon: spec.kind });
  const optionsKey = ["interface", ifname, "dhcp_options"];
  // Apart from the options: a renewal gives the same ones (their stamp stays), but a new end.
  const expiresKey = ["interface", ifname, "dhcp_lease_expires"];
  const clearLease = () =>
    properties.putMany([
      [optionsKey, undefined],
      [expiresKey, undefined],
    ]);
  const warnAbout = (lease: DhcpLeaseEvent) => {
    if (lease.subnetAssumed) {
      logger.warn(
        { address: lease.address, prefixLength: lease.prefixLength },
        "the DHCP server sent no subnet mask: assuming the address class's",
      );
    }
    if (lease.ignored) {
      logger.warn({ ignored: lease.ignored }, "left out malformed DHCP options");
    }
  };
  // The address goes on before udhcpc hears back: its unicast renew binds to it.
  const onEvent = async (event: DhcpEvent) => {
    if (isStopped()) return;
    logger.info({ event }, "DHCP event");
    const lease = event.kind === "bound" || event.kind === "renew" ? event : undefined;
    if (lease) warnAbout(lease);
    else clearLease();
    const settings = lease ? leaseSettings(lease) : undefined;
    const signal = new AbortController().signal;
    try {
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
    } catch (error) {
      // Whatever the interface holds now, it is not this lease.
      clearLease();
      throw error;
    }
    if (isStopped()) return;
    if (lease) {
      properties.putMany([
        [optionsKey, dhcpOptionsOf(lease)],
        [expiresKey, leaseEnd(lease.leaseSeconds)],
      ]);
    }
    sendBack(settings ? { type: "ipv4.updated", settings } : { type: "ipv4.cleared" });
  };
  const udhcpc = startUdhcpc({
    ifname,
    hostname: spec.hostname,
    requestOptions: spec.requestOptions,
    runner: dependencies.runner,
    server: dependencies.dhcpServer,
    handlerPath: dependencies.handlerPath,
    logger,
    onEvent,
    restartDelayMs: dependencies.udhcpcRestartDelayMs,
    pidFile: daemonRecordPath(dependencies.pidDir, "udhcpc", ifname),
  });
  return {
    renew: () => udhcpc.renew(),
    stop: async () => {
      await udhcpc.stop();
      // A stopped client keeps its lease for the next one, but no longer vouches for it.
      clearLease();
    },
  };
}

/** When a lease given now ends, as wall-clock time (what `statenet info` shows); null without a lease time. */
function leaseEnd(leaseSeconds: number | undefined): string | null {
  return leaseSeconds === undefined
    ? null
    : new Date(Date.now() + leaseSeconds * 1000).toISOString();
}
