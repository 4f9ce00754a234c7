import { gatewayProblem } from "../../config/gateway.js";
import { isIpv4Address, isPrefixLength } from "../../route/ipv4.js";
import type { Ipv4Settings } from "../types.js";

/**
 * The address a raw-IP modem reports, as the `netdev` provider reads it from
 * its last connect command's output: `key=value` lines (what a small wrapper
 * around qmicli's or mbimcli's "current settings" prints). Other lines are
 * the tools' chatter and are skipped.
 *
 *     address=203.0.113.10/30
 *     gateway=203.0.113.9
 *     dns=198.51.100.53 198.51.100.54
 */

export class ReportedSettingsError extends Error {
  constructor(detail: string) {
    super(`reported settings: ${detail}`);
    this.name = "ReportedSettingsError";
  }
}

const LINE = /^(address|gateway|dns|domain)=(.*)$/;

function addressOf(value: string): { address: string; prefixLength: number } {
  const [address = "", length = ""] = value.split("/");
  const prefixLength = Number(length);
  if (!isIpv4Address(address) || !/^\d+$/.test(length) || !isPrefixLength(prefixLength)) {
    throw new ReportedSettingsError(
      `address must be an IPv4 address/prefix length, not "${value}"`,
    );
  }
  return { address, prefixLength };
}

/** Reads the settings from a connect command's output; throws what is wrong or missing. */
export function parseReportedSettings(output: string): Ipv4Settings {
  const values = new Map<string, string>();
  for (const line of output.split("\n")) {
    const match = LINE.exec(line.trim());
    if (match) values.set(match[1] as string, (match[2] as string).trim());
  }
  const address = values.get("address");
  if (address === undefined) throw new ReportedSettingsError("no address= line");
  const own = addressOf(address);
  const gateway = values.get("gateway") || undefined;
  if (gateway !== undefined) {
    const problem = isIpv4Address(gateway)
      ? gatewayProblem(own.address, own.prefixLength, gateway)
      : "is not an IPv4 address";
    if (problem) throw new ReportedSettingsError(`gateway ${gateway} ${problem}`);
  }
  const nameServers = (values.get("dns") ?? "").split(/[\s,]+/).filter(Boolean);
  const bad = nameServers.find((server) => !isIpv4Address(server));
  if (bad !== undefined) throw new ReportedSettingsError(`dns ${bad} is not an IPv4 address`);
  return {
    addresses: [own],
    gateway,
    nameServers,
    domain: values.get("domain") || undefined,
  };
}
