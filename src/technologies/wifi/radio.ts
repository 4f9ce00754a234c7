import type { AccessPoint } from "./wpa-events.js";

/** Channels, bands and signal strength: what a person reads from a frequency and a dBm value. */

export type Band = AccessPoint["band"];

interface ChannelInfo {
  band: Band;
  /** 0 when the frequency is no channel's centre. */
  channel: number;
}

const UNKNOWN: ChannelInfo = { band: "unknown", channel: 0 };

/** The channel's 20 MHz centre frequencies, as hostap's ieee80211_freq_to_channel_ext counts them. */
function channelInfo(frequencyMhz: number): ChannelInfo {
  const f = frequencyMhz;
  if (!Number.isInteger(f)) return UNKNOWN;
  if (f >= 2412 && f <= 2472 && (f - 2407) % 5 === 0)
    return { band: "2.4 GHz", channel: (f - 2407) / 5 };
  if (f === 2484) return { band: "2.4 GHz", channel: 14 };
  // 4.9 GHz public-safety channels 182..199; shown as 5 GHz, as VintageNetWiFi does.
  if (f >= 4910 && f < 5000 && f % 5 === 0) return { band: "5 GHz", channel: (f - 4000) / 5 };
  if (f > 5000 && f < 5900 && f % 5 === 0) return { band: "5 GHz", channel: (f - 5000) / 5 };
  if (f === 5935) return { band: "6 GHz", channel: 2 };
  if (f > 5950 && f <= 7115 && f % 5 === 0) return { band: "6 GHz", channel: (f - 5950) / 5 };
  // 802.11ad/ay: channels 1..6, 2.16 GHz apart.
  if (f >= 58_320 && f <= 69_120 && (f - 56_160) % 2160 === 0) {
    return { band: "60 GHz", channel: (f - 56_160) / 2160 };
  }
  return UNKNOWN;
}

/** The channel number of a centre frequency in MHz; 0 for a frequency that is no WiFi channel. */
export function frequencyToChannel(frequencyMhz: number): number {
  return channelInfo(frequencyMhz).channel;
}

export function frequencyToBand(frequencyMhz: number): Band {
  return channelInfo(frequencyMhz).band;
}

/** A frequency an access point or a `freq_list` can name. */
export function isChannelFrequency(frequencyMhz: number): boolean {
  return channelInfo(frequencyMhz).channel !== 0;
}

/**
 * The dBm range a percentage spans per band: from the signal a radio next to
 * the access point gets (100 %) to one it barely decodes. VintageNetWiFi's
 * values; it has none for 6 and 60 GHz, which lose more over distance than
 * 5 GHz does, so they share the 5 GHz range.
 */
const RANGES: Readonly<Record<Band, { best: number; worst: number }>> = {
  "2.4 GHz": { best: -20, worst: -83.7 },
  "5 GHz": { best: -44, worst: -89 },
  "6 GHz": { best: -44, worst: -89 },
  "60 GHz": { best: -44, worst: -89 },
  unknown: { best: -20, worst: -83.7 },
};

/**
 * Signal strength in percent for a person (bars), from dBm. The curve is the
 * one NetworkManager's ipw2200 days made common and VintageNetWiFi uses: a
 * quadratic that falls slowly near the access point and fast at the edge
 * (`worst` dBm shows as 23 %). Monotonic in dBm; 100 at or above `best`;
 * never below 1 for a signal that was received at all (a listed access
 * point is audible); 0 only for a value that is no number.
 */
export function dbmToPercent(dbm: number, band: Band = "2.4 GHz"): number {
  if (Number.isNaN(dbm)) return 0;
  const { best, worst } = RANGES[band];
  if (dbm >= best) return 100;
  const span = best - worst;
  const below = best - dbm;
  const percent = 100 - (below * (15 * span + 62 * below)) / (span * span);
  return Math.max(1, Math.floor(percent));
}
