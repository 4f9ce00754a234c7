import { isIpv4Address } from "../../route/ipv4.js";
import { dbmToPercent, frequencyToBand, frequencyToChannel } from "./radio.js";
import { decodeSsid } from "./ssid-text.js";
import type { AccessPoint, MacAddress, WpaEvent } from "./wpa-events.js";

export { dbmToPercent, frequencyToBand, frequencyToChannel } from "./radio.js";
export { decodeSsid } from "./ssid-text.js";

/**
 * wpa_supplicant's control protocol, read: its unsolicited messages (after
 * ATTACH) and its replies to SCAN_RESULTS, BSS, STATUS, SIGNAL_POLL,
 * STA-FIRST / STA-NEXT and ADD_NETWORK. Formats as wpa_supplicant 2.10+
 * prints them (wpa_supplicant/ctrl_iface.c, events.c, sme.c, src/ap/). Pure:
 * nothing here throws; what does not parse is `other` or `undefined`.
 */

const MAC = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}$/;
const INTEGER = /^-?\d{1,15}$/;

function macAddress(text: string | undefined): MacAddress | undefined {
  return text !== undefined && MAC.test(text) ? text.toLowerCase() : undefined;
}

function integer(text: string | undefined): number | undefined {
  return text !== undefined && INTEGER.test(text) ? Number(text) : undefined;
}

/** `a=1 b=2 bare`: the `name=value` words of an event, and the words without `=`. */
function words(text: string): { values: Map<string, string>; bare: string[] } {
  const values = new Map<string, string>();
  const bare: string[] = [];
  for (const word of text.split(" ")) {
    if (word === "") continue;
    const equals = word.indexOf("=");
    if (equals > 0) values.set(word.slice(0, equals), word.slice(equals + 1));
    else bare.push(word);
  }
  return { values, bare };
}

// `printf_encode`d text between double quotes: any character but `"` and `\`, or `\` and any one.
const QUOTED_SSID = String.raw`"((?:[^"\\]|\\[\s\S])*)"`;
const CONNECTED = /^- [Cc]onnection to (\S+) completed (?:\(auth\) )?\[id=(-?\d{1,10}) id_str=/;
const TEMP_DISABLED = new RegExp(
  String.raw`^id=(\d{1,10}) ssid=${QUOTED_SSID} auth_failures=(\d{1,10}) duration=(-?\d{1,10}) reason=(\S+)(?: |$)`,
);
const REENABLED = new RegExp(String.raw`^id=(\d{1,10}) ssid=${QUOTED_SSID}(?: |$)`);
// The SSID is printed between single quotes that printf_encode does not escape: the last `' freq=` ends it.
const TRYING =
  /^(?:SME: Trying to (authenticate)|Trying to (associate)) with (\S+) \(SSID='([\s\S]*)' freq=(\d{1,6}) MHz\)$/;

type Parsed = WpaEvent | undefined;

function connected(rest: string): Parsed {
  const match = CONNECTED.exec(rest);
  const bssid = macAddress(match?.[1]);
  const id = integer(match?.[2]);
  if (bssid === undefined || id === undefined) return undefined;
  return { kind: "connected", bssid, networkId: id >= 0 ? id : undefined };
}

function disconnected(rest: string): Parsed {
  const { values } = words(rest);
  const bssid = macAddress(values.get("bssid"));
  const reason = integer(values.get("reason"));
  if (bssid === undefined || reason === undefined) return undefined;
  return {
    kind: "disconnected",
    bssid,
    reason,
    locallyGenerated: values.get("locally_generated") === "1",
  };
}

function tempDisabled(rest: string): Parsed {
  const match = TEMP_DISABLED.exec(rest);
  if (!match) return undefined;
  const [, id = "", ssid = "", failures = "", duration = "", reason = ""] = match;
  return {
    kind: "ssid_temp_disabled",
    networkId: Number(id),
    ssid: decodeSsid(ssid),
    authFailures: Number(failures),
    durationSeconds: Number(duration),
    reason,
  };
}

function reenabled(rest: string): Parsed {
  const match = REENABLED.exec(rest);
  if (!match) return undefined;
  return { kind: "ssid_reenabled", networkId: Number(match[1]), ssid: decodeSsid(match[2] ?? "") };
}

function scanFailed(rest: string): Parsed {
  const ret = words(rest).values.get("ret");
  if (ret === undefined) return { kind: "scan_failed" };
  const code = integer(ret);
  return code === undefined ? undefined : { kind: "scan_failed", ret: code };
}

/** `bssid=<mac> status_code=<n>[ timeout[=<why>]]…`; the bssid is missing when the driver gave none. */
function assocReject(rest: string): Parsed {
  const { values, bare } = words(rest);
  const statusCode = integer(values.get("status_code"));
  const bssidText = values.get("bssid");
  const bssid = macAddress(bssidText);
  if (statusCode === undefined || (bssidText !== undefined && bssid === undefined)) {
    return undefined;
  }
  const timedOut = bare.includes("timeout") || values.has("timeout");
  return { kind: "assoc_reject", bssid, statusCode, timedOut };
}

/** `<mac> auth_type=<n> auth_transaction=<n> status_code=<n>[ ie=<hex>]`. */
function authReject(rest: string): Parsed {
  const { values, bare } = words(rest);
  const bssid = macAddress(bare[0]);
  const statusCode = integer(values.get("status_code"));
  if (bssid === undefined || statusCode === undefined) return undefined;
  return { kind: "auth_reject", bssid, statusCode };
}

/** `<mac>[ p2p_dev_addr=…][ keyid=…]…` */
function station(kind: "station_connected" | "station_disconnected", rest: string): Parsed {
  const mac = macAddress(words(rest).bare[0]);
  return mac === undefined ? undefined : { kind, mac };
}

function trying(line: string): Parsed {
  const match = TRYING.exec(line);
  const bssid = macAddress(match?.[3]);
  if (!match || bssid === undefined) return undefined;
  return {
    kind: "trying",
    step: match[1] === undefined ? "associate" : "authenticate",
    bssid,
    ssid: decodeSsid(match[4] ?? ""),
    frequency: Number(match[5]),
  };
}

function parseKnown(name: string, rest: string, line: string): Parsed {
  switch (name) {
    case "CTRL-EVENT-CONNECTED":
      return connected(rest);
    case "CTRL-EVENT-DISCONNECTED":
      return disconnected(rest);
    case "CTRL-EVENT-SSID-TEMP-DISABLED":
      return tempDisabled(rest);
    case "CTRL-EVENT-SSID-REENABLED":
      return reenabled(rest);
    case "CTRL-EVENT-NETWORK-NOT-FOUND":
      return { kind: "network_not_found" };
    case "CTRL-EVENT-SCAN-STARTED":
      return { kind: "scan_started" };
    case "CTRL-EVENT-SCAN-RESULTS":
      return { kind: "scan_results" };
    case "CTRL-EVENT-SCAN-FAILED":
      return scanFailed(rest);
    case "CTRL-EVENT-ASSOC-REJECT":
      return assocReject(rest);
    case "CTRL-EVENT-AUTH-REJECT":
      return authReject(rest);
    case "CTRL-EVENT-EAP-FAILURE":
      return { kind: "eap_failure" };
    case "CTRL-EVENT-TERMINATING":
      return { kind: "terminating" };
    case "AP-ENABLED":
      return { kind: "ap_enabled" };
    case "AP-DISABLED":
      return { kind: "ap_disabled" };
    case "AP-STA-CONNECTED":
      return station("station_connected", rest);
    case "AP-STA-DISCONNECTED":
      return station("station_disconnected", rest);
    case "Trying":
    case "SME:":
      return trying(line);
    default:
      return undefined;
  }
}

/**
 * One unsolicited message, its `<N>` level prefix already removed. Events
 * with nothing to say beyond their name take any text after it (later
 * versions add `id=` to the scan events); the others must carry their
 * fields, or they are `other`.
 */
export function parseEvent(text: string): WpaEvent {
  // wpa_supplicant's event names end in a space even when nothing follows.
  const line = text.trimEnd();
  const space = line.indexOf(" ");
  const name = space < 0 ? line : line.slice(0, space);
  const rest = space < 0 ? "" : line.slice(space + 1);
  return parseKnown(name, rest, line) ?? { kind: "other", text };
}

/** `[WPA2-PSK-CCMP][ESS]` → ["WPA2-PSK-CCMP", "ESS"]; undefined for anything else. */
function parseFlags(text: string): string[] | undefined {
  if (!/^(?:\[[^[\]]*\])*$/.test(text)) return undefined;
  return text === "" ? [] : text.slice(1, -1).split("][");
}

function accessPoint(
  bssidText: string | undefined,
  frequencyText: string | undefined,
  levelText: string | undefined,
  flagsText: string,
  ssidText: string | undefined,
): AccessPoint | undefined {
  const bssid = macAddress(bssidText);
  const frequency = integer(frequencyText);
  const signalDbm = integer(levelText);
  const flags = parseFlags(flagsText);
  if (
    bssid === undefined ||
    frequency === undefined ||
    frequency <= 0 ||
    signalDbm === undefined ||
    flags === undefined ||
    ssidText === undefined
  ) {
    return undefined;
  }
  const band = frequencyToBand(frequency);
  return {
    bssid,
    ssid: decodeSsid(ssidText),
    frequency,
    band,
    channel: frequencyToChannel(frequency),
    signalDbm,
    signalPercent: dbmToPercent(signalDbm, band),
    flags,
  };
}

const SCAN_RESULTS_HEADER = "bssid / frequency / signal level / flags / ssid";

/**
 * The SCAN_RESULTS reply: a header line, then one tab-separated row per
 * access point (an SSID holds no tab: it is printed escaped). Rows that do
 * not parse are left out. wpa_supplicant cuts this reply at its 4 kB reply
 * buffer (some 50 access points); `BSS FIRST` / `BSS NEXT-<id>` read them all.
 */
export function parseScanResults(text: string): AccessPoint[] {
  const found: AccessPoint[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line === SCAN_RESULTS_HEADER) continue;
    const columns = line.split("\t");
    if (columns.length !== 5) continue;
    const [bssid, frequency, level, flags, ssid] = columns;
    const point = accessPoint(bssid, frequency, level, flags as string, ssid);
    if (point) found.push(point);
  }
  return found;
}

/**
 * The `name=value` lines of a reply (STATUS, SIGNAL_POLL, BSS, STA). Values
 * are as printed; a repeated name keeps its last value.
 */
export function parseKeyValues(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const equals = line.indexOf("=");
    if (equals > 0) values.set(line.slice(0, equals), line.slice(equals + 1));
  }
  return values;
}

/** The reply to `BSS <bssid|id|FIRST|NEXT-id>`; undefined for an empty reply (no such BSS) or FAIL. */
export function parseBss(text: string): AccessPoint | undefined {
  const values = parseKeyValues(text);
  return accessPoint(
    values.get("bssid"),
    values.get("freq"),
    values.get("level"),
    values.get("flags") ?? "",
    values.get("ssid"),
  );
}

/** The `id=` of a BSS reply, for the next `BSS NEXT-<id>`. */
export function bssId(text: string): number | undefined {
  const id = integer(parseKeyValues(text).get("id"));
  return id !== undefined && id >= 0 ? id : undefined;
}

export const WPA_STATES = [
  "DISCONNECTED",
  "INTERFACE_DISABLED",
  "INACTIVE",
  "SCANNING",
  "AUTHENTICATING",
  "ASSOCIATING",
  "ASSOCIATED",
  "4WAY_HANDSHAKE",
  "GROUP_HANDSHAKE",
  "COMPLETED",
  "UNKNOWN",
] as const;

export type WpaState = (typeof WPA_STATES)[number];

const STATES: ReadonlySet<string> = new Set(WPA_STATES);

const MODES: Readonly<Record<string, WpaStatus["mode"]>> = {
  station: "station",
  AP: "ap",
  IBSS: "ibss",
  mesh: "mesh",
  "P2P GO": "p2p_go",
  "P2P GO - group formation": "p2p_go",
};

export interface WpaStatus {
  /** COMPLETED: associated and keys set (in AP mode: the access point is up). */
  wpaState: WpaState;
  /** The access point's (in AP mode: our own) address, while associated. */
  bssid?: MacAddress | undefined;
  ssid?: string | undefined;
  frequency?: number | undefined;
  mode?: "station" | "ap" | "ibss" | "mesh" | "p2p_go" | undefined;
  /** The network's id, as ADD_NETWORK returned it. */
  networkId?: number | undefined;
  /** As wpa_supplicant names it: WPA2-PSK, SAE, NONE, WPA2/IEEE 802.1X/EAP, … */
  keyMgmt?: string | undefined;
  ipAddress?: string | undefined;
  /** This interface's own MAC address. */
  address?: MacAddress | undefined;
}

/** The reply to STATUS; undefined when it has no wpa_state (FAIL, or not a STATUS reply). */
export function parseStatus(text: string): WpaStatus | undefined {
  const values = parseKeyValues(text);
  const state = values.get("wpa_state");
  if (state === undefined) return undefined;
  const ssid = values.get("ssid");
  const mode = values.get("mode");
  const ipAddress = values.get("ip_address");
  const networkId = integer(values.get("id"));
  const frequency = integer(values.get("freq"));
  return {
    wpaState: STATES.has(state) ? (state as WpaState) : "UNKNOWN",
    bssid: macAddress(values.get("bssid")),
    ssid: ssid === undefined ? undefined : decodeSsid(ssid),
    frequency: frequency !== undefined && frequency > 0 ? frequency : undefined,
    mode: mode === undefined ? undefined : MODES[mode],
    networkId: networkId !== undefined && networkId >= 0 ? networkId : undefined,
    keyMgmt: values.get("key_mgmt"),
    ipAddress: ipAddress !== undefined && isIpv4Address(ipAddress) ? ipAddress : undefined,
    address: macAddress(values.get("address")),
  };
}

/** wpa_supplicant's value for "the driver did not say". */
const INVALID_NOISE = 9999;

export interface SignalPoll {
  rssiDbm: number;
  /** For a person, from rssiDbm and the band (see dbmToPercent). */
  signalPercent: number;
  /** The current transmit rate. */
  linkSpeedMbps: number;
  noiseDbm?: number | undefined;
  frequency: number;
  /** e.g. "20 MHz", "80 MHz", as wpa_supplicant names it. */
  width?: string | undefined;
  centerFrequency1?: number | undefined;
  centerFrequency2?: number | undefined;
  averageRssiDbm?: number | undefined;
}

/** The reply to SIGNAL_POLL; undefined for FAIL (not associated) or a reply without RSSI and FREQUENCY. */
export function parseSignalPoll(text: string): SignalPoll | undefined {
  const values = parseKeyValues(text);
  const rssiDbm = integer(values.get("RSSI"));
  const frequency = integer(values.get("FREQUENCY"));
  if (rssiDbm === undefined || frequency === undefined) return undefined;
  const noise = integer(values.get("NOISE"));
  return {
    rssiDbm,
    signalPercent: dbmToPercent(rssiDbm, frequencyToBand(frequency)),
    linkSpeedMbps: integer(values.get("LINKSPEED")) ?? 0,
    noiseDbm: noise === INVALID_NOISE ? undefined : noise,
    frequency,
    width: values.get("WIDTH"),
    centerFrequency1: integer(values.get("CENTER_FRQ1")),
    centerFrequency2: integer(values.get("CENTER_FRQ2")),
    averageRssiDbm: integer(values.get("AVG_RSSI")),
  };
}

/** ADD_NETWORK's reply: the new network's id; undefined for FAIL. */
export function parseNetworkId(text: string): number | undefined {
  const id = integer(text.trim());
  return id !== undefined && id >= 0 ? id : undefined;
}
