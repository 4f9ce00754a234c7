import { describe, expect, it } from "vitest";
import { accessPointTable, ssidText } from "../../src/cli/wifi-table.js";
import type { AccessPoint } from "../../src/technologies/wifi/wpa-events.js";

function ap(fields: Partial<AccessPoint>): AccessPoint {
  return {
    bssid: "02:00:00:00:00:01",
    ssid: "lab",
    frequency: 2412,
    band: "2.4 GHz",
    channel: 1,
    signalDbm: -60,
    signalPercent: 80,
    flags: ["ESS"],
    ...fields,
  };
}

describe("ssidText", () => {
  it("shows a hidden network, whose SSID is empty or zero bytes, as (hidden)", () => {
    expect(ssidText("")).toBe("(hidden)");
    expect(ssidText("\0\0\0\0\0\0\0\0")).toBe("(hidden)");
    expect(ssidText("a\0")).toBe("a\\x00");
  });

  it("escapes what a terminal would act on", () => {
    expect(ssidText("evil\x1b]0;title\x07\r\nnext")).toBe("evil\\e]0;title\\x07\\r\\nnext");
  });
});

describe("accessPointTable", () => {
  it("lists the strongest first, with channel, band, signal in dBm and %, security and SSID", () => {
    const table = accessPointTable([
      ap({ ssid: "weak", bssid: "02:00:00:00:00:03", signalDbm: -85, signalPercent: 30 }),
      ap({
        ssid: "office",
        bssid: "02:00:00:00:00:02",
        frequency: 5180,
        band: "5 GHz",
        channel: 36,
        signalDbm: -41,
        signalPercent: 100,
        flags: ["RSN-SAE+PSK-CCMP", "ESS"],
      }),
      ap({
        ssid: "",
        bssid: "02:00:00:00:00:04",
        signalDbm: -60,
        signalPercent: 80,
        flags: ["WPA2-EAP-CCMP", "ESS"],
      }),
      ap({ ssid: "old", bssid: "02:00:00:00:00:05", signalDbm: -70, flags: ["WEP", "ESS"] }),
      ap({
        ssid: "home",
        bssid: "02:00:00:00:00:01",
        frequency: 2437,
        channel: 6,
        signalDbm: -60,
        signalPercent: 80,
        flags: ["WPA2-PSK-CCMP", "ESS"],
      }),
    ]);
    expect(table.split("\n")).toEqual([
      "BSSID              CH  BAND           SIGNAL  SECURITY  SSID",
      "02:00:00:00:00:02  36  5 GHz    -41 dBm 100%  WPA3-SAE  office",
      "02:00:00:00:00:04   1  2.4 GHz  -60 dBm  80%  WPA2-EAP  (hidden)",
      "02:00:00:00:00:01   6  2.4 GHz  -60 dBm  80%  WPA2-PSK  home",
      "02:00:00:00:00:05   1  2.4 GHz  -70 dBm  80%  WEP       old",
      "02:00:00:00:00:03   1  2.4 GHz  -85 dBm  30%  open      weak",
    ]);
  });

  it("keeps one line per access point whatever its SSID holds, and its columns in line", () => {
    const table = accessPointTable([
      ap({ ssid: "line\nbreak\r\x1b[2K", signalDbm: -50 }),
      ap({ ssid: "\u202eoverride", bssid: "02:00:00:00:00:02", signalDbm: -55 }),
      ap({ ssid: "咖啡馆", bssid: "02:00:00:00:00:03", signalDbm: -59 }),
    ]);
    const lines = table.split("\n");
    expect(lines).toHaveLength(4);
    const ssidColumn = (lines[0] as string).lastIndexOf("SSID");
    expect(lines.slice(1).map((line) => line.slice(ssidColumn))).toEqual([
      "line\\nbreak\\r\\e[2K",
      "\\u{202e}override",
      "咖啡馆",
    ]);
    for (const line of lines.slice(1)) expect(line.slice(ssidColumn - 2, ssidColumn)).toBe("  ");
  });

  it("shows a frequency that is no channel's as -, and says when nothing was found", () => {
    expect(
      accessPointTable([ap({ frequency: 2411, channel: 0, band: "unknown" })]).split("\n")[1],
    ).toBe("02:00:00:00:00:01   -  unknown  -60 dBm  80%  open      lab");
    expect(accessPointTable([])).toBe("no access points found");
  });
});
