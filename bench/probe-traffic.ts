import { execa } from "execa";
import type { Lab } from "../lab/namespace-lab.js";

/**
 * What an uplink carries, counted by nft in its router namespace on the
 * device-facing link, and what that costs on an Ethernet wire: each IPv4
 * packet is its IP length plus 18 B of Ethernet header and FCS, and no frame
 * is shorter than 64 B (so an IP packet under 46 B costs 64); an ARP frame
 * always costs 64 B. Counted in prerouting and postrouting, both directions
 * are seen whether the packets go on to the probe hosts or to the router
 * itself, and before any drop the bench adds.
 */

const TABLE = "statenet_bench";
/** Under this IP length, the frame is padded up to the 64 B minimum. */
const PADDED_BELOW = 46;
const ETHERNET_OVERHEAD = 18;
const MIN_FRAME = 64;

export interface LinkTraffic {
  packets: number;
  ipBytes: number;
  arpFrames: number;
  /** Bytes on the wire, IPv4 and ARP, headers and padding included. */
  wireBytes: number;
}

/**
 * Installs the counters in `ifname`'s router and, with `dropPercent`, drops
 * that share of the packets toward `host` (nft `numgen random`; 100 drops
 * them all, an upstream that went silent).
 */
export async function countTraffic(
  lab: Lab,
  ifname: string,
  drop?: { host: string; percent: number },
): Promise<void> {
  const { routerNs, routerIfname } = lab.uplink(ifname);
  const counted = (direction: string, match: string) => [
    `add rule inet ${TABLE} ${direction} ${match} "${routerIfname}" ip length < ${PADDED_BELOW} counter comment "padded"`,
    `add rule inet ${TABLE} ${direction} ${match} "${routerIfname}" ip length >= ${PADDED_BELOW} counter comment "sized"`,
  ];
  const rules = [
    `add table inet ${TABLE}`,
    `add chain inet ${TABLE} from_device { type filter hook prerouting priority -300; }`,
    `add chain inet ${TABLE} to_device { type filter hook postrouting priority 300; }`,
    ...counted("from_device", "iifname"),
    ...counted("to_device", "oifname"),
    `add table arp ${TABLE}`,
    `add chain arp ${TABLE} from_device { type filter hook input priority 0; }`,
    `add chain arp ${TABLE} to_device { type filter hook output priority 0; }`,
    `add rule arp ${TABLE} from_device iifname "${routerIfname}" counter comment "arp"`,
    `add rule arp ${TABLE} to_device oifname "${routerIfname}" counter comment "arp"`,
  ];
  if (drop && drop.percent > 0) {
    const share = drop.percent >= 100 ? "" : `numgen random mod 100 < ${drop.percent} `;
    rules.push(
      `add chain inet ${TABLE} forward { type filter hook forward priority 0; }`,
      `add rule inet ${TABLE} forward iifname "${routerIfname}" ip daddr ${drop.host} ${share}drop`,
    );
  }
  await execa("ip", ["netns", "exec", routerNs, "nft", "-f", "-"], { input: rules.join("\n") });
}

interface NftCounter {
  packets: number;
  bytes: number;
}

/** The counters `countTraffic` installed, totalled over both directions. */
export async function readTraffic(lab: Lab, ifname: string): Promise<LinkTraffic> {
  const { stdout } = await lab.exec(lab.uplink(ifname).routerNs, "nft", ["-j", "list", "ruleset"]);
  const items = (JSON.parse(stdout) as { nftables: Array<Record<string, unknown>> }).nftables;
  const traffic: LinkTraffic = { packets: 0, ipBytes: 0, arpFrames: 0, wireBytes: 0 };
  for (const item of items) {
    const rule = item.rule as
      | { table?: string; comment?: string; expr?: Array<{ counter?: NftCounter }> }
      | undefined;
    if (rule?.table !== TABLE) continue;
    const counter = rule.expr?.find((expression) => expression.counter)?.counter;
    if (!counter) continue;
    if (rule.comment === "arp") {
      traffic.arpFrames += counter.packets;
      traffic.wireBytes += counter.packets * MIN_FRAME;
      continue;
    }
    traffic.packets += counter.packets;
    traffic.ipBytes += counter.bytes;
    traffic.wireBytes +=
      rule.comment === "padded"
        ? counter.packets * MIN_FRAME
        : counter.bytes + counter.packets * ETHERNET_OVERHEAD;
  }
  return traffic;
}

/** `later - earlier`, scaled from `seconds` to a day. */
export function trafficPerDay(earlier: LinkTraffic, later: LinkTraffic, seconds: number) {
  const perDay = (key: keyof LinkTraffic) =>
    Math.round(((later[key] - earlier[key]) * 86_400) / seconds);
  return {
    wire_bytes_per_day: perDay("wireBytes"),
    // The probes' own frames: a raw-IP modem link (QMI, MBIM, PPP) has no ARP.
    probe_wire_bytes_per_day: perDay("wireBytes") - perDay("arpFrames") * MIN_FRAME,
    ip_bytes_per_day: perDay("ipBytes"),
    ip_packets_per_day: perDay("packets"),
    arp_frames_per_day: perDay("arpFrames"),
  };
}
