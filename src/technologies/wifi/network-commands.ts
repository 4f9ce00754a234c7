import { pbkdf2Sync } from "node:crypto";
import { eapSettings, hex, type Setting } from "../../ieee8021x/wpa-supplicant-conf.js";
import { isChannelFrequency } from "./radio.js";
import type { WifiNetwork } from "./schema.js";

/**
 * What wpa_supplicant is told, as data: the control commands that create a
 * network, the global settings, and the minimal config file it starts with.
 * Networks go over the control socket only, so no secret touches the disk.
 *
 * Every user-supplied text goes out hex-encoded: wpa_supplicant reads an
 * unquoted ssid, sae_password, wep_key, identity or password as hex
 * (wpa_config_parse_string), so no quote, space or line break in it can end
 * the value or start another command. A WPA2 passphrase is not sent at all:
 * the 256-bit key derived from it (IEEE 802.11i H.4) is, which is all
 * wpa_supplicant would make of it.
 */

/** One control-socket command; `secret` ones carry a key or password and must not be logged. */
export interface ControlCommand {
  command: string;
  secret: boolean;
}

/** A value that cannot be written safely; `field` names it. Validated networks never cause one. */
export class WifiCommandError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = "WifiCommandError";
  }
}

/** Sent first; its reply is the new network's id (parseNetworkId) for networkCommands. */
export const ADD_NETWORK: ControlCommand = { command: "ADD_NETWORK", secret: false };

/** The access point's channel when the config names none: 6, clear of 1 and 11 where most APs sit. */
export const DEFAULT_AP_FREQUENCY = 2437;

const SECRET_SETTINGS: ReadonlySet<string> = new Set([
  "psk",
  "sae_password",
  "wep_key0",
  "password",
  "private_key_passwd",
]);

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const WEP_HEX_KEY = /^(?:[0-9a-fA-F]{10}|[0-9a-fA-F]{26})$/;
const MAC = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}$/;

/**
 * The WPA2 pre-shared key of a passphrase on a network: PBKDF2-HMAC-SHA1 over
 * the passphrase, salted with the SSID's bytes, 4096 rounds, 256 bits, in hex.
 */
export function pskFromPassphrase(passphrase: string, ssid: string): string {
  return pbkdf2Sync(
    Buffer.from(passphrase, "utf8"),
    Buffer.from(ssid, "utf8"),
    4096,
    32,
    "sha1",
  ).toString("hex");
}

/** A 64-hex-digit psk is the key itself; anything else is a passphrase. */
function wpaKey(psk: string, ssid: string): string {
  return HEX_KEY.test(psk) ? psk.toLowerCase() : pskFromPassphrase(psk, ssid);
}

/** WEP keys of 10 or 26 hex digits are the key; 5 or 13 characters are its bytes. */
function wepKey(key: string): string {
  return WEP_HEX_KEY.test(key) ? key.toLowerCase() : hex(key);
}

function mhz(field: string, value: number): string {
  if (!isChannelFrequency(value)) throw new WifiCommandError(field, `${value} is no channel`);
  return String(value);
}

function whole(field: string, value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new WifiCommandError(field, "must be a whole number");
  }
  return String(value);
}

function securitySettings(network: WifiNetwork, accessPoint: boolean): Setting[] {
  // An access point offers WPA2 with CCMP only, not wpa_supplicant's default of WPA and TKIP too.
  const rsnOnly: Setting[] = accessPoint
    ? [
        ["proto", "RSN"],
        ["pairwise", "CCMP"],
      ]
    : [];
  switch (network.keyMgmt) {
    case "none":
      return [["key_mgmt", "NONE"]];
    case "wep":
      return [
        ["key_mgmt", "NONE"],
        ["wep_key0", wepKey(network.wepKey)],
        ["wep_tx_keyidx", "0"],
        ["auth_alg", "OPEN SHARED"],
      ];
    case "wpa_psk":
      return [["key_mgmt", "WPA-PSK"], ...rsnOnly, ["psk", wpaKey(network.psk, network.ssid)]];
    case "sae":
      // WPA3 requires management frame protection; SAE needs the password itself.
      return [
        ["key_mgmt", "SAE"],
        ...rsnOnly,
        ["ieee80211w", "2"],
        ["sae_password", hex(network.psk)],
      ];
    case "wpa_eap":
      return [["key_mgmt", "WPA-EAP"], ...eapSettings(network)];
  }
}

function networkSettings(network: WifiNetwork): Setting[] {
  const accessPoint = network.mode === "ap";
  // wpa_supplicant takes an empty SSID as "any network": never send one.
  const ssidBytes = Buffer.byteLength(network.ssid, "utf8");
  if (ssidBytes < 1 || ssidBytes > 32) throw new WifiCommandError("ssid", "must be 1..32 bytes");
  if (network.bssid !== undefined && !MAC.test(network.bssid)) {
    throw new WifiCommandError("bssid", "must be a MAC address");
  }
  return [
    ["ssid", hex(network.ssid)],
    ...(accessPoint
      ? ([
          ["mode", "2"],
          ["frequency", mhz("frequency", network.frequency ?? DEFAULT_AP_FREQUENCY)],
        ] satisfies Setting[])
      : []),
    ...securitySettings(network, accessPoint),
    ["scan_ssid", network.scanSsid ? "1" : undefined],
    ["bssid", network.bssid?.toLowerCase()],
    ["priority", network.priority === undefined ? undefined : whole("priority", network.priority)],
    ["freq_list", network.frequencies?.map((frequency) => mhz("frequencies", frequency)).join(" ")],
  ];
}

/**
 * The commands that configure network `id` (from ADD_NETWORK's reply) as
 * `network` says, then enable it: SET_NETWORK lines, then ENABLE_NETWORK
 * (an enabled AP network starts the access point).
 */
export function networkCommands(id: number, network: WifiNetwork): ControlCommand[] {
  const networkId = whole("id", id);
  const settings = networkSettings(network).flatMap(([name, value]): ControlCommand[] =>
    value === undefined
      ? []
      : [
          {
            command: `SET_NETWORK ${networkId} ${name} ${value}`,
            secret: SECRET_SETTINGS.has(name),
          },
        ],
  );
  return [...settings, { command: `ENABLE_NETWORK ${networkId}`, secret: false }];
}

const REGULATORY_DOMAIN = /^(?:[A-Z]{2}|00)$/;

function country(regulatoryDomain: string): string {
  if (!REGULATORY_DOMAIN.test(regulatoryDomain)) {
    throw new WifiCommandError("regulatoryDomain", "must be two upper-case letters or 00");
  }
  return regulatoryDomain;
}

/**
 * Settings for every network of the interface: the country (channels and
 * transmit power the driver allows), PMF where the access point offers it,
 * and SAE with both password element methods (hunting-and-pecking and
 * hash-to-element), so WPA3 access points of either kind are joined.
 */
function globals(regulatoryDomain: string): Setting[] {
  return [
    ["country", country(regulatoryDomain)],
    ["pmf", "1"],
    ["sae_pwe", "2"],
  ];
}

/** The global settings as commands, for a wpa_supplicant already running (`SET country` tells the driver). */
export function globalSettings(regulatoryDomain = "00"): ControlCommand[] {
  return globals(regulatoryDomain).map(([name, value]) => ({
    command: `SET ${name} ${value}`,
    secret: false,
  }));
}

export interface SupplicantConfOptions {
  /** Where wpa_supplicant creates its control socket (the directory, not the socket). */
  controlDirectory: string;
  /** ISO 3166-1 alpha-2, or 00 (world, the default). */
  regulatoryDomain?: string | undefined;
}

/**
 * The file wpa_supplicant starts with: its control socket and global
 * settings, no network (they come over the socket). It holds no secret.
 */
export function wifiWpaSupplicantConf({
  controlDirectory,
  regulatoryDomain = "00",
}: SupplicantConfOptions): string {
  // The rest of the line is the value (and " GROUP=" would start another field).
  if (!controlDirectory.startsWith("/") || /[\s\p{Cc}]/u.test(controlDirectory)) {
    throw new WifiCommandError(
      "controlDirectory",
      "must be an absolute path without spaces or control characters",
    );
  }
  const settings: Setting[] = [
    ["ctrl_interface", `DIR=${controlDirectory}`],
    // wpa_supplicant scans and picks the network (not the driver).
    ["ap_scan", "1"],
    // SAVE_CONFIG could otherwise write the networks, secrets included, to this file.
    ["update_config", "0"],
    ["p2p_disabled", "1"],
    ...globals(regulatoryDomain),
  ];
  return [
    "# Written by statenet on every start of wpa_supplicant; changes are lost.",
    "# Networks are added over the control socket.",
    ...settings.map(([name, value]) => `${name}=${value}`),
    "",
  ].join("\n");
}
