import { z } from "zod";
import { DEFAULT_WIFI_TIMINGS } from "../../../machines/wifi-timings.js";
import { milliseconds } from "../../config/fields.js";
import { eapPeapSchema, eapTlsSchema, eapTtlsSchema } from "../../ieee8021x/schema.js";
import { isChannelFrequency } from "./radio.js";

/**
 * The `wifi` block of a WiFi interface's config, in VintageNetWiFi's shape
 * (camelCase): `{"networks": [{"ssid": "…", "keyMgmt": "wpa_psk", "psk": "…"}],
 * "regulatoryDomain": "US"}`. Errors name the field; no message repeats a
 * secret's value.
 */

const KEY_MGMTS = ["none", "wep", "wpa_psk", "sae", "wpa_eap"] as const;

const utf8Bytes = (value: string) => Buffer.byteLength(value, "utf8");

/** 1..32 bytes, as 802.11 allows; any bytes (they are sent hex-encoded), but text with a UTF-8 form. */
const ssid = z
  .string({ error: (issue) => (issue.input === undefined ? "required" : "must be a string") })
  .check((context) => {
    const value = context.value;
    const problem = /\p{Cs}/u.test(value)
      ? "must be valid Unicode text (a lone surrogate has no UTF-8 form)"
      : value === ""
        ? "must not be empty"
        : utf8Bytes(value) > 32
          ? `must be at most 32 bytes in UTF-8 (this one has ${utf8Bytes(value)})`
          : undefined;
    if (problem) context.issues.push({ code: "custom", input: value, message: problem });
  });

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

const requiredWith = (keyMgmt: string, what: string) =>
  z.string({
    error: (issue) =>
      issue.input === undefined ? `required with keyMgmt ${keyMgmt}: ${what}` : "must be a string",
  });

/**
 * WPA2-PSK: a passphrase (IEEE 802.11i: 8..63 printable ASCII characters) or
 * the 256-bit key itself as 64 hex digits.
 */
const wpaPsk = requiredWith(
  "wpa_psk",
  "a passphrase of 8..63 characters or a 64-hex-digit key",
).check((context) => {
  const value = context.value;
  if (HEX_KEY.test(value)) return;
  if (value.length >= 8 && value.length <= 63 && PRINTABLE_ASCII.test(value)) return;
  const rule = "must be a passphrase of 8..63 printable ASCII characters or a key of 64 hex digits";
  context.issues.push({
    code: "custom",
    input: value,
    // The rule, not the value nor its length: messages reach logs.
    message: PRINTABLE_ASCII.test(value)
      ? rule
      : `${rule} (it has characters outside ASCII 32..126)`,
  });
});

/**
 * WPA3-SAE: a password of any length (SAE has no 8..63 limit), no NUL
 * (wpa_supplicant keeps it as a C string). A 64-hex-digit value is refused:
 * with wpa_psk that is a derived key, which SAE cannot use, so it is almost
 * surely a mistake.
 */
const saePassword = requiredWith("sae", "the network's password").check((context) => {
  const value = context.value;
  const problem =
    value === ""
      ? "must not be empty"
      : value.includes("\0")
        ? "must not contain a NUL character"
        : utf8Bytes(value) > 255
          ? "must be at most 255 bytes"
          : HEX_KEY.test(value)
            ? "SAE needs the password itself: a 64-hex-digit key (a WPA2 PSK) cannot be used with keyMgmt sae"
            : undefined;
  if (problem) context.issues.push({ code: "custom", input: value, message: problem });
});

/** WEP-40 or WEP-104: 5 or 13 characters, or 10 or 26 hex digits. */
const wepKey = requiredWith("wep", "5 or 13 characters, or 10 or 26 hex digits").regex(
  /^(?:[\x20-\x7e]{5}|[\x20-\x7e]{13}|[0-9a-fA-F]{10}|[0-9a-fA-F]{26})$/,
  "must be 5 or 13 printable ASCII characters, or 10 or 26 hex digits",
);

/** A field another keyMgmt uses: refused here rather than silently ignored. */
const unusedWith = (usedBy: string) =>
  z.never({ error: `only used with keyMgmt ${usedBy}` }).optional();

const channelFrequency = z
  .number({ error: "must be a frequency in MHz" })
  .int("must be an integer number of MHz")
  .refine(isChannelFrequency, "no WiFi channel is centred there (e.g. 2412, 2437, 5180, 5955 MHz)");

const commonFields = {
  ssid,
  /** Higher is tried first among networks in range; wpa_supplicant's default 0. */
  priority: z
    .number()
    .int("must be an integer")
    .min(0, "must be 0..2147483647")
    .max(2_147_483_647, "must be 0..2147483647")
    .optional(),
  /** A hidden network: probe for this SSID by name. */
  scanSsid: z.boolean({ error: "must be true or false" }).optional(),
  /** Only this access point. */
  bssid: z
    .string()
    .regex(/^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}$/, "must be a MAC address like 02:00:00:00:01:00")
    .optional(),
  /** Scan and connect on these channels only (MHz). */
  frequencies: z.array(channelFrequency).min(1, "must name at least one frequency").optional(),
  mode: z
    .enum(["infrastructure", "ap"], { error: "must be infrastructure or ap" })
    .default("infrastructure"),
  /** The access point's channel (MHz), mode ap only; 2437 (channel 6) when not given. */
  frequency: channelFrequency.optional(),
};

const noneNetwork = z.strictObject({
  ...commonFields,
  /** VintageNetWiFi's default: a network without keyMgmt is open. */
  keyMgmt: z.literal("none").default("none"),
  psk: unusedWith("wpa_psk or sae (keyMgmt is none when not given)"),
  wepKey: unusedWith("wep (keyMgmt is none when not given)"),
});

const wepNetwork = z.strictObject({
  ...commonFields,
  keyMgmt: z.literal("wep"),
  wepKey,
  psk: unusedWith("wpa_psk or sae"),
});

const wpaPskNetwork = z.strictObject({
  ...commonFields,
  keyMgmt: z.literal("wpa_psk"),
  psk: wpaPsk,
  wepKey: unusedWith("wep"),
});

const saeNetwork = z.strictObject({
  ...commonFields,
  keyMgmt: z.literal("sae"),
  psk: saePassword,
  wepKey: unusedWith("wep"),
});

const eapFields = {
  ...commonFields,
  keyMgmt: z.literal("wpa_eap"),
  psk: unusedWith("wpa_psk or sae"),
  wepKey: unusedWith("wep"),
};

/** WPA-Enterprise: the wired 802.1X settings, less EAP-MD5, which derives no keys for WiFi. */
const eapNetwork = z.discriminatedUnion(
  "eap",
  [
    eapPeapSchema.extend(eapFields),
    eapTtlsSchema.extend(eapFields),
    eapTlsSchema.extend(eapFields),
  ],
  {
    error: (issue) =>
      issue.code === "invalid_union"
        ? "must be peap, ttls or tls (EAP-MD5 derives no keys, so WiFi cannot use it)"
        : undefined,
  },
);

const ACCESS_POINT_KEY_MGMTS: ReadonlySet<string> = new Set(["none", "wpa_psk", "sae"]);

/** One network wpa_supplicant may join (or, with mode ap, create). */
export const wifiNetworkSchema = z
  .discriminatedUnion("keyMgmt", [noneNetwork, wepNetwork, wpaPskNetwork, saeNetwork, eapNetwork], {
    error: (issue) =>
      issue.code === "invalid_union" ? `must be one of ${KEY_MGMTS.join(", ")}` : undefined,
  })
  .check((context) => {
    const network = context.value;
    const problem = (path: string, message: string) =>
      context.issues.push({ code: "custom", input: network, path: [path], message });
    if (network.mode === "ap") {
      if (!ACCESS_POINT_KEY_MGMTS.has(network.keyMgmt)) {
        problem("keyMgmt", "an access point (mode ap) must use wpa_psk, sae or none");
      }
      if (network.frequencies !== undefined) {
        problem("frequencies", "not for an access point: its channel is frequency");
      }
      if (network.scanSsid !== undefined) problem("scanSsid", "not for an access point");
      if (network.bssid !== undefined) problem("bssid", "not for an access point");
    } else if (network.frequency !== undefined) {
      problem("frequency", "only for an access point (mode ap); frequencies limits a client");
    }
  });

/**
 * How closely wpa_supplicant is watched and how fast it is restarted; each
 * left out keeps its default (DEFAULT_WIFI_TIMINGS). A slow board (or an
 * emulated one) may need a longer pingTimeoutMs and startTimeoutMs.
 */
export const wifiTimingsSchema = z
  .strictObject({
    /** Between PINGs while wpa_supplicant runs. */
    pingIntervalMs: milliseconds(100).optional(),
    /** A PING not answered by then counts as a hung wpa_supplicant. */
    pingTimeoutMs: milliseconds(100).optional(),
    /** Between scans while nothing is associated. */
    scanIntervalMs: milliseconds(1_000).optional(),
    /** Wait before the first restart; doubles for each further one in a row. */
    restartDelayMs: milliseconds(100).optional(),
    maxRestartDelayMs: milliseconds(100).optional(),
    /** A run whose PINGs were answered this long is healthy: the backoff starts over. */
    healthyRunMs: milliseconds(1_000).optional(),
    /** wpa_supplicant not started, attached and configured by then is restarted. */
    startTimeoutMs: milliseconds(1_000).optional(),
  })
  .check((context) => {
    const restartDelayMs = context.value.restartDelayMs ?? DEFAULT_WIFI_TIMINGS.restartDelayMs;
    const maxRestartDelayMs =
      context.value.maxRestartDelayMs ?? DEFAULT_WIFI_TIMINGS.maxRestartDelayMs;
    if (maxRestartDelayMs >= restartDelayMs) return;
    context.issues.push({
      code: "custom",
      input: context.value,
      path: ["maxRestartDelayMs"],
      message: `must not be below restartDelayMs (${restartDelayMs} ms)`,
    });
  });

export const wifiSettingsSchema = z
  .strictObject({
    /** None: the radio only scans. */
    networks: z.array(wifiNetworkSchema).default([]),
    /** ISO 3166-1 country whose channel and power rules apply; 00 (world) when not given. */
    regulatoryDomain: z
      .string()
      .regex(/^(?:[A-Z]{2}|00)$/, "must be two upper-case letters (a country, e.g. US) or 00")
      .optional(),
    timings: wifiTimingsSchema.optional(),
  })
  .check((context) => {
    const { networks } = context.value;
    if (networks.length < 2) return;
    networks.forEach((network, index) => {
      if (network.mode !== "ap") return;
      context.issues.push({
        code: "custom",
        input: network,
        path: ["networks", index, "mode"],
        message: "an access point must be the only network",
      });
    });
  });

export type WifiNetwork = z.infer<typeof wifiNetworkSchema>;
export type WifiNetworkInput = z.input<typeof wifiNetworkSchema>;
export type WifiSettings = z.infer<typeof wifiSettingsSchema>;
export type WifiSettingsInput = z.input<typeof wifiSettingsSchema>;
export type WifiKeyMgmt = WifiNetwork["keyMgmt"];
