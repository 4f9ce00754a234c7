import { assertInterfaceName } from "../linux/interface-name.js";
import { isIpv4Address, isPrefixLength } from "./ipv4.js";
import type { Ipv4Address } from "./types.js";

const STATUSES = new Set(["disconnected", "lan", "internet"]);

/** Why a route manager report cannot be used, or undefined when it can. */
export function routeReportProblem(report: {
  type: string;
  ifname?: string;
  addresses?: readonly Ipv4Address[];
  gateway?: string | undefined;
  status?: string;
}): string | undefined {
  if (report.ifname !== undefined) {
    try {
      assertInterfaceName(report.ifname);
    } catch (error) {
      return (error as Error).message;
    }
  }
  for (const [index, { address, prefixLength }] of (report.addresses ?? []).entries()) {
    if (!isIpv4Address(address))
      return `addresses[${index}].address: not an IPv4 address: ${address}`;
    if (!isPrefixLength(prefixLength)) return `addresses[${index}].prefixLength: must be 0..32`;
  }
  if (report.gateway !== undefined && !isIpv4Address(report.gateway)) {
    return `gateway: not an IPv4 address: ${report.gateway}`;
  }
  if (report.status !== undefined && !STATUSES.has(report.status)) {
    return `status: must be disconnected, lan or internet`;
  }
  return undefined;
}
