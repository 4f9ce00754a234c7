/**
 * What wpa_supplicant says on its control socket, parsed (see
 * `control-protocol.ts`). Only the events statenet acts on or shows have a
 * kind of their own; the rest arrive as `other` with their text.
 */

/** A station's or an access point's hardware address, lower case `aa:bb:cc:dd:ee:ff`. */
export type MacAddress = string;

export type WpaEvent =
  /** Associated and (for WPA) the 4-way handshake done: the link carries traffic. */
  | { kind: "connected"; bssid: MacAddress; networkId?: number | undefined }
  /** IEEE 802.11 reason code; `locallyGenerated` when this station ended it. */
  | {
      kind: "disconnected";
      bssid: MacAddress;
      reason: number;
      locallyGenerated: boolean;
    }
  /** A network was disabled for a while after failures: `reason` is e.g. WRONG_KEY, CONN_FAILED. */
  | {
      kind: "ssid_temp_disabled";
      networkId: number;
      ssid: string;
      authFailures: number;
      durationSeconds: number;
      reason: string;
    }
  | { kind: "ssid_reenabled"; networkId: number; ssid: string }
  | { kind: "network_not_found" }
  | { kind: "scan_started" }
  | { kind: "scan_results" }
  | { kind: "scan_failed"; ret?: number | undefined }
  /**
   * IEEE 802.11 status code. No `bssid` when wpa_supplicant does not know it;
   * `timedOut` when the access point never answered (gone, or out of range)
   * rather than refused.
   */
  | {
      kind: "assoc_reject";
      bssid?: MacAddress | undefined;
      statusCode: number;
      timedOut: boolean;
    }
  | { kind: "auth_reject"; bssid: MacAddress; statusCode: number }
  | { kind: "eap_failure" }
  /**
   * Authenticating to (drivers where wpa_supplicant runs the 802.11 exchange,
   * like mac80211) or associating with an access point; roaming shows as
   * this, then `connected`.
   */
  | {
      kind: "trying";
      step: "authenticate" | "associate";
      bssid: MacAddress;
      ssid: string;
      frequency?: number | undefined;
    }
  /** Access-point mode. */
  | { kind: "ap_enabled" }
  | { kind: "ap_disabled" }
  | { kind: "station_connected"; mac: MacAddress }
  | { kind: "station_disconnected"; mac: MacAddress }
  /** wpa_supplicant is exiting. */
  | { kind: "terminating" }
  | { kind: "other"; text: string };

/** One row of SCAN_RESULTS / BSS, with what a person wants to see derived from it. */
export interface AccessPoint {
  bssid: MacAddress;
  ssid: string;
  /** MHz. */
  frequency: number;
  band: "2.4 GHz" | "5 GHz" | "6 GHz" | "60 GHz" | "unknown";
  channel: number;
  /** dBm. */
  signalDbm: number;
  /** 0..100, for a person; derived from dBm. */
  signalPercent: number;
  /** wpa_supplicant's flags as it prints them, e.g. ["WPA2-PSK-CCMP", "ESS"]. */
  flags: string[];
}
