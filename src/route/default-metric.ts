import type { ConnectionStatus, InterfaceInfo, InterfaceType, MetricFunction } from "./types.js";

type Rank = readonly [InterfaceType | "any", ConnectionStatus];

/** Internet before LAN-only, then wired > WiFi > mobile > anything else. */
const RANKING: readonly Rank[] = [
  ["ethernet", "internet"],
  ["wifi", "internet"],
  ["mobile", "internet"],
  ["any", "internet"],
  ["ethernet", "lan"],
  ["wifi", "lan"],
  ["mobile", "lan"],
  ["any", "lan"],
];

function ranks(rank: Rank, info: InterfaceInfo): boolean {
  const [type, status] = rank;
  return (type === "any" || type === info.type) && status === info.status;
}

/**
 * `(index + 1) * 10 + weight` where index is the interface's first match in the
 * ranking; a disconnected interface gets no routes.
 */
export const defaultMetric: MetricFunction = (_ifname, info) => {
  const index = RANKING.findIndex((rank) => ranks(rank, info));
  return index < 0 ? "disabled" : (index + 1) * 10 + info.weight;
};
