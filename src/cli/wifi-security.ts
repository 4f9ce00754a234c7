/**
 * An access point's security, for a person, from wpa_supplicant's scan
 * flags. A WPA/RSN flag is `<proto>-<key managements joined by +>-<ciphers>`
 * (`WPA2-PSK-CCMP`, `RSN-SAE+PSK-CCMP`, `WPA2-FT/SAE-CCMP`,
 * `WPA2-EAP-SUITE-B-192-GCMP-256`), where proto is WPA (the first WPA),
 * WPA2 or, in newer versions, RSN; some print the key management alone
 * (`SAE-CCMP`). `WEP` stands alone. Other flags (`ESS`, `WPS`, `SAE-H2E`,
 * `OWE-TRANS`: an open network that points to its OWE twin) say nothing
 * about how to join.
 */

export type WifiSecurity =
  | "WPA3-SAE"
  | "WPA2-EAP"
  | "WPA2-PSK"
  | "WPA-EAP"
  | "WPA-PSK"
  | "OWE"
  | "WEP"
  | "open";

/** Strongest first: an access point that offers several (WPA2/WPA3 transition) shows its best. */
const RANKED: readonly WifiSecurity[] = [
  "WPA3-SAE",
  "WPA2-EAP",
  "WPA2-PSK",
  "WPA-EAP",
  "WPA-PSK",
  "OWE",
  "WEP",
  "open",
];

const NOT_KEY_MANAGEMENT = new Set(["SAE-H2E", "SAE-PK", "OWE-TRANS", "OWE-TRANS-OPEN"]);

/** What one flag offers; none for a flag that is no WPA/RSN or WEP one. */
function offered(flag: string): WifiSecurity[] {
  if (flag === "WEP") return ["WEP"];
  if (NOT_KEY_MANAGEMENT.has(flag)) return [];
  const match = /^(?:(WPA|WPA2|RSN)-)?(.+)$/.exec(flag);
  const words = new Set((match?.[2] ?? "").split(/[-+/]/));
  const rsn = match?.[1] !== "WPA";
  const found: WifiSecurity[] = [];
  if (words.has("SAE")) found.push("WPA3-SAE");
  // FILS is fast initial link setup for EAP networks: the same credentials.
  if (words.has("EAP") || words.has("FILS")) found.push(rsn ? "WPA2-EAP" : "WPA-EAP");
  if (words.has("PSK")) found.push(rsn ? "WPA2-PSK" : "WPA-PSK");
  if (words.has("OWE")) found.push("OWE");
  return found;
}

export function wifiSecurity(flags: readonly string[]): WifiSecurity {
  const found = new Set(flags.flatMap(offered));
  return RANKED.find((security) => found.has(security)) ?? "open";
}
