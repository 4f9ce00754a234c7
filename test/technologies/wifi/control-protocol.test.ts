import { describe, expect, it } from "vitest";
import {
  bssId,
  parseBss,
  parseEvent,
  parseKeyValues,
  parseNetworkId,
  parseScanResults,
  parseSignalPoll,
  parseStatus,
} from "../../../src/technologies/wifi/control-protocol.js";
import type { WpaEvent } from "../../../src/technologies/wifi/wpa-events.js";

/**
 * Messages as wpa_supplicant formats them (wpa_supplicant/wpa_supplicant.c,
 * events.c, sme.c, scan.c, src/ap/sta_info.c, hostapd.c; 2.10 and later).
 * Names that take no argument are printed with their trailing space.
 */
const AP = "02:00:00:00:01:00";
const STA = "02:00:00:00:02:00";

const EXAMPLES: ReadonlyArray<[string, WpaEvent]> = [
  [
    `CTRL-EVENT-CONNECTED - Connection to ${AP} completed [id=0 id_str=]`,
    { kind: "connected", bssid: AP, networkId: 0 },
  ],
  [
    // A network added with id_str, FILS, and an MLD access point.
    `CTRL-EVENT-CONNECTED - Connection to ${AP} completed [id=3 id_str=home FILS_HLP_SENT] ap_mld_addr=02:00:00:00:0a:00`,
    { kind: "connected", bssid: AP, networkId: 3 },
  ],
  [
    // No current network (id -1), e.g. after WPS.
    `CTRL-EVENT-CONNECTED - Connection to ${AP} completed [id=-1 id_str=]`,
    { kind: "connected", bssid: AP, networkId: undefined },
  ],
  [
    `CTRL-EVENT-DISCONNECTED bssid=${AP} reason=3 locally_generated=1`,
    { kind: "disconnected", bssid: AP, reason: 3, locallyGenerated: true },
  ],
  [
    `CTRL-EVENT-DISCONNECTED bssid=${AP} reason=15`,
    { kind: "disconnected", bssid: AP, reason: 15, locallyGenerated: false },
  ],
  [
    'CTRL-EVENT-SSID-TEMP-DISABLED id=0 ssid="x" auth_failures=1 duration=10 reason=WRONG_KEY',
    {
      kind: "ssid_temp_disabled",
      networkId: 0,
      ssid: "x",
      authFailures: 1,
      durationSeconds: 10,
      reason: "WRONG_KEY",
    },
  ],
  [
    String.raw`CTRL-EVENT-SSID-TEMP-DISABLED id=2 ssid="caf\xc3\xa9 \"q\" a\\b\tc" auth_failures=3 duration=30 reason=CONN_FAILED`,
    {
      kind: "ssid_temp_disabled",
      networkId: 2,
      ssid: 'café "q" a\\b\tc',
      authFailures: 3,
      durationSeconds: 30,
      reason: "CONN_FAILED",
    },
  ],
  [
    'CTRL-EVENT-SSID-REENABLED id=0 ssid="home"',
    { kind: "ssid_reenabled", networkId: 0, ssid: "home" },
  ],
  ["CTRL-EVENT-NETWORK-NOT-FOUND ", { kind: "network_not_found" }],
  ["CTRL-EVENT-SCAN-STARTED ", { kind: "scan_started" }],
  ["CTRL-EVENT-SCAN-STARTED id=7", { kind: "scan_started" }],
  ["CTRL-EVENT-SCAN-RESULTS ", { kind: "scan_results" }],
  ["CTRL-EVENT-SCAN-FAILED ret=-16", { kind: "scan_failed", ret: -16 }],
  ["CTRL-EVENT-SCAN-FAILED ret=-16 retry=1", { kind: "scan_failed", ret: -16 }],
  [
    `CTRL-EVENT-ASSOC-REJECT bssid=${AP} status_code=17`,
    { kind: "assoc_reject", bssid: AP, statusCode: 17, timedOut: false },
  ],
  [
    `CTRL-EVENT-ASSOC-REJECT bssid=${AP} status_code=1 timeout`,
    { kind: "assoc_reject", bssid: AP, statusCode: 1, timedOut: true },
  ],
  [
    "CTRL-EVENT-ASSOC-REJECT status_code=16",
    { kind: "assoc_reject", bssid: undefined, statusCode: 16, timedOut: false },
  ],
  [
    `CTRL-EVENT-AUTH-REJECT ${AP} auth_type=3 auth_transaction=1 status_code=1`,
    { kind: "auth_reject", bssid: AP, statusCode: 1 },
  ],
  [
    `CTRL-EVENT-AUTH-REJECT ${AP} auth_type=0 auth_transaction=2 status_code=13 ie=dd0500`,
    { kind: "auth_reject", bssid: AP, statusCode: 13 },
  ],
  ["CTRL-EVENT-EAP-FAILURE EAP authentication failed", { kind: "eap_failure" }],
  [
    `Trying to associate with ${AP} (SSID='home' freq=2412 MHz)`,
    { kind: "trying", step: "associate", bssid: AP, ssid: "home", frequency: 2412 },
  ],
  [
    // printf_encode leaves single quotes and parentheses alone: the last `' freq=` ends the SSID.
    `SME: Trying to authenticate with ${AP} (SSID='it's (odd)' freq=1 MHz)' freq=5180 MHz)`,
    {
      kind: "trying",
      step: "authenticate",
      bssid: AP,
      ssid: "it's (odd)' freq=1 MHz)",
      frequency: 5180,
    },
  ],
  ["AP-ENABLED ", { kind: "ap_enabled" }],
  ["AP-DISABLED ", { kind: "ap_disabled" }],
  [`AP-STA-CONNECTED ${STA}`, { kind: "station_connected", mac: STA }],
  [`AP-STA-CONNECTED ${STA} keyid=guests vlanid=3`, { kind: "station_connected", mac: STA }],
  [`AP-STA-DISCONNECTED ${STA}`, { kind: "station_disconnected", mac: STA }],
  ["CTRL-EVENT-TERMINATING ", { kind: "terminating" }],
];

const OTHERS = [
  "CTRL-EVENT-REGDOM-CHANGE init=CORE",
  "CTRL-EVENT-SUBNET-STATUS-UPDATE status=0",
  `Associated with ${AP}`,
  "WPA: Key negotiation completed with 02:00:00:00:01:00 [PTK=CCMP GTK=CCMP]",
  // Malformed: a field missing or of the wrong form.
  "CTRL-EVENT-CONNECTED",
  "CTRL-EVENT-CONNECTED - Connection to 02:00:00:00:01 completed [id=0 id_str=]",
  "CTRL-EVENT-DISCONNECTED reason=3",
  `CTRL-EVENT-DISCONNECTED bssid=${AP} reason=three`,
  'CTRL-EVENT-SSID-TEMP-DISABLED id=0 ssid="unterminated auth_failures=1 duration=10 reason=WRONG_KEY',
  "CTRL-EVENT-SSID-REENABLED id=x",
  "CTRL-EVENT-SCAN-FAILED ret=busy",
  "CTRL-EVENT-ASSOC-REJECT bssid=nowhere status_code=1",
  "CTRL-EVENT-AUTH-REJECT auth_type=3 status_code=1",
  "AP-STA-CONNECTED",
  "AP-STA-DISCONNECTED 02-00-00-00-02-00",
  // Only when wpa_supplicant has no BSS for the network: no address to report.
  "Trying to associate with SSID 'home'",
  `Trying to associate with ${AP} (SSID='home' chan=3)`,
  "",
  "ctrl-event-connected - Connection to 02:00:00:00:01:00 completed [id=0 id_str=]",
];

describe("parseEvent", () => {
  it.each(EXAMPLES)("%s", (text, event) => {
    expect(parseEvent(text)).toEqual(event);
  });

  it.each(OTHERS)("other: %j", (text) => {
    expect(parseEvent(text)).toEqual({ kind: "other", text });
  });

  it("writes MAC addresses in lower case whatever case they came in", () => {
    expect(parseEvent("AP-STA-CONNECTED 02:AB:00:00:02:00")).toEqual({
      kind: "station_connected",
      mac: "02:ab:00:00:02:00",
    });
  });
});

const HEADER = "bssid / frequency / signal level / flags / ssid";

describe("parseScanResults", () => {
  it("reads SCAN_RESULTS rows: channel, band, percent and flags derived, SSIDs decoded, hidden ones empty", () => {
    const reply = [
      HEADER,
      "02:00:00:00:01:00\t2412\t-35\t[WPA2-PSK-CCMP][ESS]\thome",
      "02:00:00:00:02:00\t5180\t-67\t[WPA2-SAE-CCMP][SAE-H2E][ESS]\tcaf\\xc3\\xa9",
      "02:00:00:00:03:00\t2484\t-90\t[ESS]\t",
      '02:00:00:00:04:00\t5955\t-70\t\t\\"q\\"\\ttab',
      "",
    ].join("\n");
    expect(parseScanResults(reply)).toEqual([
      {
        bssid: "02:00:00:00:01:00",
        ssid: "home",
        frequency: 2412,
        band: "2.4 GHz",
        channel: 1,
        signalDbm: -35,
        signalPercent: 93,
        flags: ["WPA2-PSK-CCMP", "ESS"],
      },
      {
        bssid: "02:00:00:00:02:00",
        ssid: "café",
        frequency: 5180,
        band: "5 GHz",
        channel: 36,
        signalDbm: -67,
        signalPercent: 76,
        flags: ["WPA2-SAE-CCMP", "SAE-H2E", "ESS"],
      },
      {
        bssid: "02:00:00:00:03:00",
        ssid: "",
        frequency: 2484,
        band: "2.4 GHz",
        channel: 14,
        signalDbm: -90,
        signalPercent: 8,
        flags: ["ESS"],
      },
      {
        bssid: "02:00:00:00:04:00",
        ssid: '"q"\ttab',
        frequency: 5955,
        band: "6 GHz",
        channel: 1,
        signalDbm: -70,
        signalPercent: 70,
        flags: [],
      },
    ]);
  });

  it("skips rows that do not parse and keeps the rest", () => {
    const reply = [
      HEADER,
      "02:00:00:00:01:00\t2412\t-35\t[ESS]",
      "02:00:00:00:01:00\t2412\t-35\t[ESS]\tx\textra",
      "not-a-mac\t2412\t-35\t[ESS]\tx",
      "02:00:00:00:01:00\t0\t-35\t[ESS]\tx",
      "02:00:00:00:01:00\t2412\tloud\t[ESS]\tx",
      "02:00:00:00:01:00\t2412\t-35\tESS\tx",
      "02:00:00:00:05:00\t2437\t-50\t[ESS]\tgood",
    ].join("\n");
    expect(parseScanResults(reply).map((point) => point.ssid)).toEqual(["good"]);
  });

  it("an empty scan is the header alone", () => {
    expect(parseScanResults(`${HEADER}\n`)).toEqual([]);
    expect(parseScanResults("FAIL\n")).toEqual([]);
  });
});

describe("parseBss", () => {
  // Fields as print_bss_info prints them for `BSS <bssid>` with the default mask.
  const reply = [
    "id=4",
    "bssid=02:00:00:00:01:00",
    "freq=2437",
    "beacon_int=100",
    "capabilities=0x0411",
    "qual=0",
    "noise=-92",
    "level=-48",
    "tsf=0000001234567890",
    "age=3",
    "ie=0004686f6d65010882848b960c121824",
    "flags=[WPA2-PSK-CCMP][ESS]",
    "ssid=a=b\\x00c",
    "snr=44",
    "est_throughput=65000",
    "",
  ].join("\n");

  it("reads one access point; the SSID keeps `=` and decodes escapes", () => {
    expect(parseBss(reply)).toEqual({
      bssid: "02:00:00:00:01:00",
      ssid: "a=b\0c",
      frequency: 2437,
      band: "2.4 GHz",
      channel: 6,
      signalDbm: -48,
      signalPercent: 81,
      flags: ["WPA2-PSK-CCMP", "ESS"],
    });
    expect(bssId(reply)).toBe(4);
  });

  it("no such BSS: an empty reply or FAIL", () => {
    expect(parseBss("")).toBeUndefined();
    expect(parseBss("FAIL\n")).toBeUndefined();
    expect(bssId("")).toBeUndefined();
  });
});

describe("STATUS, SIGNAL_POLL and ADD_NETWORK replies", () => {
  it("parseKeyValues: name=value lines, the value may hold `=`, the last repeat wins, other lines ignored", () => {
    expect([...parseKeyValues("a=1\nb=x=y\n\nnoequals\n=nokey\na=2\n")]).toEqual([
      ["a", "2"],
      ["b", "x=y"],
    ]);
  });

  it("parseStatus: a real reply of wpa_supplicant 2.10 (wired driver, so freq 0)", () => {
    const reply = [
      "bssid=01:80:c2:00:00:03",
      "freq=0",
      "ssid=hexkey",
      "id=1",
      "mode=station",
      "pairwise_cipher=CCMP",
      "group_cipher=CCMP",
      "key_mgmt=WPA2-PSK",
      "wpa_state=ASSOCIATED",
      "ip_address=127.0.0.1",
      "address=00:00:00:00:00:00",
      "uuid=427974ee-cf6c-5278-8c94-995e2261d1dc",
      "",
    ].join("\n");
    expect(parseStatus(reply)).toEqual({
      wpaState: "ASSOCIATED",
      bssid: "01:80:c2:00:00:03",
      ssid: "hexkey",
      frequency: undefined,
      mode: "station",
      networkId: 1,
      keyMgmt: "WPA2-PSK",
      ipAddress: "127.0.0.1",
      address: "00:00:00:00:00:00",
    });
  });

  it("parseStatus: an access point, a disconnected station, an unknown state, and FAIL", () => {
    const ap = parseStatus(
      'bssid=02:00:00:00:00:00\nfreq=2437\nssid=my \\"ap\\"\nid=0\nmode=AP\nwpa_state=COMPLETED\n',
    );
    expect(ap).toMatchObject({
      wpaState: "COMPLETED",
      mode: "ap",
      ssid: 'my "ap"',
      frequency: 2437,
    });
    expect(parseStatus("wpa_state=DISCONNECTED\naddress=02:00:00:00:00:01\n")).toEqual({
      wpaState: "DISCONNECTED",
      bssid: undefined,
      ssid: undefined,
      frequency: undefined,
      mode: undefined,
      networkId: undefined,
      keyMgmt: undefined,
      ipAddress: undefined,
      address: "02:00:00:00:00:01",
    });
    expect(parseStatus("wpa_state=SOMETHING_NEW\n")?.wpaState).toBe("UNKNOWN");
    expect(parseStatus("FAIL\n")).toBeUndefined();
  });

  it("parseSignalPoll: RSSI, link speed, noise (9999: not reported), frequency, width, centres", () => {
    expect(
      parseSignalPoll(
        "RSSI=-52\nLINKSPEED=65\nNOISE=9999\nFREQUENCY=5180\nWIDTH=80 MHz\nCENTER_FRQ1=5210\nAVG_RSSI=-54\n",
      ),
    ).toEqual({
      rssiDbm: -52,
      signalPercent: 95,
      linkSpeedMbps: 65,
      noiseDbm: undefined,
      frequency: 5180,
      width: "80 MHz",
      centerFrequency1: 5210,
      centerFrequency2: undefined,
      averageRssiDbm: -54,
    });
    expect(parseSignalPoll("RSSI=-70\nLINKSPEED=1\nNOISE=-95\nFREQUENCY=2412\n")?.noiseDbm).toBe(
      -95,
    );
    expect(parseSignalPoll("FAIL\n")).toBeUndefined();
  });

  it("parseNetworkId: ADD_NETWORK's reply", () => {
    expect(parseNetworkId("0\n")).toBe(0);
    expect(parseNetworkId("12\n")).toBe(12);
    expect(parseNetworkId("FAIL\n")).toBeUndefined();
    expect(parseNetworkId("-1\n")).toBeUndefined();
  });
});
