import { describe, expect, it } from "vitest";
import { parseIwDev } from "../../lab/vm/radios.js";

// `iw dev` inside the VM lab after `modprobe mac80211_hwsim radios=3` (iw 5.19).
const THREE_RADIOS = `phy#2
\tInterface wlan2
\t\tifindex 4
\t\twdev 0x200000001
\t\taddr 02:00:00:00:02:00
\t\ttype managed
\t\ttxpower 0.00 dBm
phy#1
\tInterface wlan1
\t\tifindex 3
\t\twdev 0x100000001
\t\taddr 02:00:00:00:01:00
\t\ttype managed
\t\ttxpower 0.00 dBm
phy#0
\tInterface wlan0
\t\tifindex 2
\t\twdev 0x1
\t\taddr 02:00:00:00:00:00
\t\tssid statenet-lab
\t\ttype AP
\t\tchannel 6 (2437 MHz), width: 20 MHz (no HT), center1: 2437 MHz
\t\ttxpower 20.00 dBm
`;

describe("parseIwDev", () => {
  it("lists one radio per interface, ordered by wiphy", () => {
    expect(parseIwDev(THREE_RADIOS)).toEqual([
      { phy: "phy0", ifname: "wlan0", mac: "02:00:00:00:00:00" },
      { phy: "phy1", ifname: "wlan1", mac: "02:00:00:00:01:00" },
      { phy: "phy2", ifname: "wlan2", mac: "02:00:00:00:02:00" },
    ]);
  });

  it("finds nothing in an empty listing", () => {
    expect(parseIwDev("")).toEqual([]);
  });

  it("keeps each interface of a wiphy that has two", () => {
    const text =
      "phy#3\n\tInterface wlan3\n\t\taddr 02:00:00:00:03:00\n\tInterface ap3\n\t\taddr 02:00:00:00:03:01\n";
    expect(parseIwDev(text)).toEqual([
      { phy: "phy3", ifname: "wlan3", mac: "02:00:00:00:03:00" },
      { phy: "phy3", ifname: "ap3", mac: "02:00:00:00:03:01" },
    ]);
  });
});
