import { describe, expect, it } from "vitest";
import { wifiSecurity } from "../../src/cli/wifi-security.js";

/** wpa_supplicant's `[A][B]` flags as the daemon hands them over: ["A", "B"]. */
const flags = (text: string) => (text === "" ? [] : text.slice(1, -1).split("]["));

describe("wifiSecurity", () => {
  it.each([
    ["[WPA2-PSK-CCMP][ESS]", "WPA2-PSK"],
    ["[WPA2-PSK-CCMP+TKIP][WPS][ESS]", "WPA2-PSK"],
    ["[WPA2-PSK-SHA256-CCMP][ESS]", "WPA2-PSK"],
    ["[WPA2-FT/PSK-CCMP][ESS]", "WPA2-PSK"],
    ["[SAE-CCMP][ESS]", "WPA3-SAE"],
    ["[WPA2-SAE-CCMP][SAE-H2E][ESS]", "WPA3-SAE"],
    ["[WPA2-FT/SAE+SAE-EXT-KEY-GCMP-256][ESS]", "WPA3-SAE"],
    // WPA2/WPA3 transition: shown as the stronger.
    ["[RSN-SAE+PSK-CCMP][ESS]", "WPA3-SAE"],
    ["[WPA2-PSK+SAE-CCMP][ESS]", "WPA3-SAE"],
    ["[WPA2-EAP-CCMP][ESS]", "WPA2-EAP"],
    ["[WPA2-EAP+FT/EAP-CCMP-preauth][ESS]", "WPA2-EAP"],
    ["[WPA2-EAP-SUITE-B-192-GCMP-256][ESS]", "WPA2-EAP"],
    ["[WPA2-FILS-SHA256-CCMP][ESS]", "WPA2-EAP"],
    ["[RSN-EAP-SHA256-CCMP][ESS]", "WPA2-EAP"],
    ["[WPA-PSK-TKIP][ESS]", "WPA-PSK"],
    ["[WPA-PSK-CCMP+TKIP][WPA2-PSK-CCMP+TKIP][ESS]", "WPA2-PSK"],
    ["[WPA-EAP-TKIP][ESS]", "WPA-EAP"],
    ["[WPA2-OWE-CCMP][ESS]", "OWE"],
    ["[WEP][ESS]", "WEP"],
    ["[ESS]", "open"],
    ["", "open"],
    ["[WPS][ESS][P2P]", "open"],
    // An open network pointing to its OWE twin is itself open.
    ["[OWE-TRANS][ESS]", "open"],
    ["[IBSS]", "open"],
  ])("%s is %s", (text, security) => {
    expect(wifiSecurity(flags(text))).toBe(security);
  });
});
