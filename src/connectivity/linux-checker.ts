import { fromPromise } from "xstate";
import {
  type CheckerDetails,
  connectivityCheckerMachine,
  type ProbeInput,
  type ProbeResult,
} from "../../machines/connectivity-checker.js";
import type { PropertyTable } from "../properties/property-table.js";
import { isIpv4Address, networkOf } from "../route/ipv4.js";
import type { Prober } from "./prober.js";
import { type ProbeTarget, probeTargets } from "./tcp-probe.js";

export interface LinuxCheckerOptions {
  prober: Prober;
  /** `internetHosts` of the configuration; asked at every check, so a reloaded list applies at once. */
  targets: () => readonly ProbeTarget[];
  properties: PropertyTable;
  /** The prefix length of an interface's address, to leave out hosts on its own subnet. */
  prefixLengthOf: (ifname: string, address: string) => number | undefined;
  now?: () => number;
}

/** The connectivity checker with real TCP probes and its details as properties. */
export function linuxCheckerMachine(options: LinuxCheckerOptions) {
  const { prober, targets, properties, prefixLengthOf } = options;
  const now = options.now ?? Date.now;
  // Successive checks of an interface go to different hosts.
  const cursors = new Map<string, number>();

  const probe = async (input: ProbeInput, signal: AbortSignal): Promise<ProbeResult> => {
    const { ifname, sourceAddress } = input;
    if (!sourceAddress) return { ok: false, detail: "no address to probe from" };
    const prefixLength = prefixLengthOf(ifname, sourceAddress);
    const onOwnSubnet = (host: string) =>
      prefixLength !== undefined &&
      isIpv4Address(host) &&
      networkOf(host, prefixLength) === networkOf(sourceAddress, prefixLength);
    const cursor = cursors.get(ifname) ?? 0;
    cursors.set(ifname, cursor + input.count);
    const chosen = probeTargets(targets(), input.count, cursor, onOwnSubnet);
    if (chosen.length === 0)
      return { ok: false, detail: "no internet host off this interface's subnet" };
    return prober.probe(
      {
        sourceAddress,
        ifname,
        nameServers: input.nameServers,
        targets: chosen,
        timeoutMs: input.timeoutMs,
      },
      signal,
    );
  };

  const publishDetails = (details: CheckerDetails) => {
    const at = now();
    const key = (leaf: string) => ["interface", details.ifname, "connectivity", leaf];
    properties.putMany([
      [key("status"), details.status],
      [key("reason"), details.reason],
      [key("last_check"), new Date(at).toISOString()],
      [key("last_rtt_ms"), details.lastRttMs ?? null],
      [key("failed_checks"), details.failedChecks],
      [key("rtt_ms"), details.rttMs ?? null],
      [key("probe_timeout_ms"), details.probeTimeoutMs],
      [key("probe_bytes"), details.spentBytes],
      [key("max_bytes_per_day"), details.maxBytesPerDay],
      [
        key("hold_down_until"),
        details.holdDownMs > 0 ? new Date(at + details.holdDownMs).toISOString() : null,
      ],
    ]);
  };

  return connectivityCheckerMachine.provide({
    actors: {
      probe: fromPromise<ProbeResult, ProbeInput>(({ input, signal }) => probe(input, signal)),
    },
    actions: { publishDetails: (_, details) => publishDetails(details) },
  });
}
