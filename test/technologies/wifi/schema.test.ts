import { describe, expect, it } from "vitest";
import { wifiNetworkSchema, wifiSettingsSchema } from "../../../src/technologies/wifi/schema.js";

const HEX_KEY = "f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e";
const PEAP = {
  keyMgmt: "wpa_eap",
  eap: "peap",
  identity: "alice",
  password: "secret",
  caCert: "/etc/ssl/ca.pem",
};

/** Every issue as `path: message`. */
function problems(input: unknown): string[] {
  const result = wifiSettingsSchema.safeParse(input);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

const one = (network: Record<string, unknown>) => ({ networks: [network] });

describe("wifiSettingsSchema: valid configs", () => {
  it("the issue's example: a WPA2 network and a country", () => {
    expect(
      wifiSettingsSchema.parse({
        networks: [{ ssid: "home", keyMgmt: "wpa_psk", psk: "correct horse" }],
        regulatoryDomain: "US",
      }),
    ).toEqual({
      networks: [
        { ssid: "home", keyMgmt: "wpa_psk", psk: "correct horse", mode: "infrastructure" },
      ],
      regulatoryDomain: "US",
    });
  });

  it("defaults: no networks (scan only); a network without keyMgmt is open, as in VintageNetWiFi", () => {
    expect(wifiSettingsSchema.parse({})).toEqual({ networks: [] });
    expect(wifiNetworkSchema.parse({ ssid: "cafe" })).toEqual({
      ssid: "cafe",
      keyMgmt: "none",
      mode: "infrastructure",
    });
  });

  it.each([
    ["a 64-hex-digit key", { ssid: "x", keyMgmt: "wpa_psk", psk: HEX_KEY }],
    ["an 8-character passphrase", { ssid: "x", keyMgmt: "wpa_psk", psk: "12345678" }],
    ["a 63-character passphrase", { ssid: "x", keyMgmt: "wpa_psk", psk: "~".repeat(63) }],
    ["an SAE password of one character", { ssid: "x", keyMgmt: "sae", psk: "p" }],
    ["WEP-40 as text", { ssid: "x", keyMgmt: "wep", wepKey: "abcde" }],
    ["WEP-104 as hex", { ssid: "x", keyMgmt: "wep", wepKey: "0123456789abcdef0123456789" }],
    ["PEAP", { ssid: "x", ...PEAP }],
    [
      "TLS",
      {
        ssid: "x",
        keyMgmt: "wpa_eap",
        eap: "tls",
        identity: "device",
        clientCert: "/c.pem",
        privateKey: "/k.pem",
        caCert: "/ca.pem",
      },
    ],
    ["an SSID of 32 bytes (8 four-byte characters)", { ssid: "😀".repeat(8) }],
    [
      "every client option",
      {
        ssid: "x",
        priority: 3,
        scanSsid: true,
        bssid: "02:AA:bb:00:01:00",
        frequencies: [2412, 5180, 5955],
      },
    ],
    ["an open access point", { ssid: "x", mode: "ap" }],
    [
      "a WPA3 access point on 5 GHz",
      { ssid: "x", mode: "ap", keyMgmt: "sae", psk: "pw", frequency: 5180 },
    ],
  ])("accepts %s", (_, network) => {
    expect(problems(one(network))).toEqual([]);
  });

  it("accepts the world regulatory domain", () => {
    expect(problems({ networks: [], regulatoryDomain: "00" })).toEqual([]);
  });
});

describe("wifiSettingsSchema: each error names its field", () => {
  it.each([
    [{ keyMgmt: "none" }, "networks.0.ssid: required"],
    [{ ssid: "" }, "networks.0.ssid: must not be empty"],
    [
      { ssid: "x".repeat(33) },
      "networks.0.ssid: must be at most 32 bytes in UTF-8 (this one has 33)",
    ],
    [
      { ssid: "é".repeat(17) },
      "networks.0.ssid: must be at most 32 bytes in UTF-8 (this one has 34)",
    ],
    [
      { ssid: "a\uD800" },
      "networks.0.ssid: must be valid Unicode text (a lone surrogate has no UTF-8 form)",
    ],
    [{ ssid: 7 }, "networks.0.ssid: must be a string"],
    [
      { ssid: "x", keyMgmt: "wpa2" },
      "networks.0.keyMgmt: must be one of none, wep, wpa_psk, sae, wpa_eap",
    ],
    [
      { ssid: "x", psk: "password" },
      "networks.0.psk: only used with keyMgmt wpa_psk or sae (keyMgmt is none when not given)",
    ],
    [
      { ssid: "x", keyMgmt: "wpa_psk" },
      "networks.0.psk: required with keyMgmt wpa_psk: a passphrase of 8..63 characters or a 64-hex-digit key",
    ],
    [
      { ssid: "x", keyMgmt: "wpa_psk", psk: "short" },
      "networks.0.psk: must be a passphrase of 8..63 printable ASCII characters or a key of 64 hex digits",
    ],
    [
      { ssid: "x", keyMgmt: "wpa_psk", psk: "x".repeat(64) },
      "networks.0.psk: must be a passphrase of 8..63 printable ASCII characters or a key of 64 hex digits",
    ],
    [
      { ssid: "x", keyMgmt: "wpa_psk", psk: "pässwörd" },
      "networks.0.psk: must be a passphrase of 8..63 printable ASCII characters or a key of 64 hex digits (it has characters outside ASCII 32..126)",
    ],
    [
      { ssid: "x", keyMgmt: "sae" },
      "networks.0.psk: required with keyMgmt sae: the network's password",
    ],
    [{ ssid: "x", keyMgmt: "sae", psk: "" }, "networks.0.psk: must not be empty"],
    [
      { ssid: "x", keyMgmt: "sae", psk: "a\0b" },
      "networks.0.psk: must not contain a NUL character",
    ],
    [
      { ssid: "x", keyMgmt: "sae", psk: HEX_KEY },
      "networks.0.psk: SAE needs the password itself: a 64-hex-digit key (a WPA2 PSK) cannot be used with keyMgmt sae",
    ],
    [
      { ssid: "x", keyMgmt: "wep" },
      "networks.0.wepKey: required with keyMgmt wep: 5 or 13 characters, or 10 or 26 hex digits",
    ],
    [
      { ssid: "x", keyMgmt: "wep", wepKey: "abcdef" },
      "networks.0.wepKey: must be 5 or 13 printable ASCII characters, or 10 or 26 hex digits",
    ],
    [
      { ssid: "x", keyMgmt: "wpa_psk", psk: "password", wepKey: "abcde" },
      "networks.0.wepKey: only used with keyMgmt wep",
    ],
    [
      { ssid: "x", ...PEAP, eap: "md5" },
      "networks.0.eap: must be peap, ttls or tls (EAP-MD5 derives no keys, so WiFi cannot use it)",
    ],
    [{ ssid: "x", ...PEAP, caCert: "ca.pem" }, "networks.0.caCert: must be an absolute path"],
    [
      { ssid: "x", ...PEAP, psk: "password" },
      "networks.0.psk: only used with keyMgmt wpa_psk or sae",
    ],
    [{ ssid: "x", priority: -1 }, "networks.0.priority: must be 0..2147483647"],
    [{ ssid: "x", priority: 1.5 }, "networks.0.priority: must be an integer"],
    [
      { ssid: "x", bssid: "02:00:00:00:01" },
      "networks.0.bssid: must be a MAC address like 02:00:00:00:01:00",
    ],
    [{ ssid: "x", scanSsid: "yes" }, "networks.0.scanSsid: must be true or false"],
    [{ ssid: "x", frequencies: [] }, "networks.0.frequencies: must name at least one frequency"],
    [
      { ssid: "x", frequencies: [2412, 2413] },
      "networks.0.frequencies.1: no WiFi channel is centred there (e.g. 2412, 2437, 5180, 5955 MHz)",
    ],
    [{ ssid: "x", frequencies: ["2412"] }, "networks.0.frequencies.0: must be a frequency in MHz"],
    [{ ssid: "x", mode: "adhoc" }, "networks.0.mode: must be infrastructure or ap"],
    [
      { ssid: "x", frequency: 2412 },
      "networks.0.frequency: only for an access point (mode ap); frequencies limits a client",
    ],
    [
      { ssid: "x", mode: "ap", ...PEAP },
      "networks.0.keyMgmt: an access point (mode ap) must use wpa_psk, sae or none",
    ],
    [
      { ssid: "x", mode: "ap", keyMgmt: "wep", wepKey: "abcde" },
      "networks.0.keyMgmt: an access point (mode ap) must use wpa_psk, sae or none",
    ],
    [
      { ssid: "x", mode: "ap", frequencies: [2412] },
      "networks.0.frequencies: not for an access point: its channel is frequency",
    ],
    [{ ssid: "x", mode: "ap", scanSsid: true }, "networks.0.scanSsid: not for an access point"],
    [
      { ssid: "x", mode: "ap", bssid: "02:00:00:00:01:00" },
      "networks.0.bssid: not for an access point",
    ],
    [
      { ssid: "x", mode: "ap", frequency: 2413 },
      "networks.0.frequency: no WiFi channel is centred there (e.g. 2412, 2437, 5180, 5955 MHz)",
    ],
  ])("%j → %s", (network, problem) => {
    expect(problems(one(network))).toEqual([problem]);
  });

  it("names unknown keys", () => {
    expect(problems(one({ ssid: "x", passphrase: "p" }))).toEqual([
      'networks.0: Unrecognized key: "passphrase"',
    ]);
  });

  it("an access point must be the only network", () => {
    expect(problems({ networks: [{ ssid: "up" }, { ssid: "ap", mode: "ap" }] })).toEqual([
      "networks.1.mode: an access point must be the only network",
    ]);
    expect(
      problems({
        networks: [
          { ssid: "a", mode: "ap" },
          { ssid: "b", mode: "ap" },
        ],
      }),
    ).toEqual([
      "networks.0.mode: an access point must be the only network",
      "networks.1.mode: an access point must be the only network",
    ]);
  });

  it.each(["us", "USA", "0", "", "01"])("regulatoryDomain %j", (regulatoryDomain) => {
    expect(problems({ networks: [], regulatoryDomain })).toEqual([
      "regulatoryDomain: must be two upper-case letters (a country, e.g. US) or 00",
    ]);
  });

  it("timings: each optional, checked, the backoff's ceiling not below its start", () => {
    expect(problems({ timings: { pingTimeoutMs: 10_000, startTimeoutMs: 60_000 } })).toEqual([]);
    expect(
      problems({ timings: { pingTimeoutMs: 5, scanIntervalMs: 1.5, pingEveryMs: 1 } }),
    ).toEqual([
      "timings.pingTimeoutMs: must be at least 100 ms",
      "timings.scanIntervalMs: must be an integer number of milliseconds",
      'timings: Unrecognized key: "pingEveryMs"',
    ]);
    expect(problems({ timings: { restartDelayMs: 60_000 } })).toEqual([
      "timings.maxRestartDelayMs: must not be below restartDelayMs (60000 ms)",
    ]);
    expect(problems({ timings: { restartDelayMs: 60_000, maxRestartDelayMs: 60_000 } })).toEqual(
      [],
    );
  });

  it("no message repeats a secret", () => {
    const secret = "pässwörd-do-not-log";
    const messages = [
      ...problems(one({ ssid: "x", keyMgmt: "wpa_psk", psk: secret })),
      ...problems(one({ ssid: "x", keyMgmt: "wep", wepKey: secret })),
      ...problems(one({ ssid: "x", keyMgmt: "sae", psk: `${secret}\0` })),
      ...problems(one({ ssid: "x", psk: secret })),
    ];
    expect(messages).toHaveLength(4);
    for (const message of messages) expect(message).not.toContain(secret);
  });
});
