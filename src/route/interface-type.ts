import type { InterfaceType } from "./types.js";

const PREFIXES: ReadonlyArray<[RegExp, InterfaceType]> = [
  [/^(eth|en)/, "ethernet"],
  [/^(wlan|wl|ra)/, "wifi"],
  [/^(ppp|wwan)/, "mobile"],
  [/^(lo|tap)/, "local"],
];

/** The type an interface's name suggests; a configuration may say otherwise. */
export function interfaceTypeFromName(ifname: string): InterfaceType {
  return PREFIXES.find(([pattern]) => pattern.test(ifname))?.[1] ?? "unknown";
}

/** The digits of the name as a number, mod 10: `wlan1` → 1, `enp0s13` → 3 (from 013). */
export function weightFromName(ifname: string): number {
  const digits = ifname.replace(/\D/g, "");
  if (digits === "") return 0;
  return Number(digits.slice(-1));
}
