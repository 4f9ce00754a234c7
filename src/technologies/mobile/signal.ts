/**
 * Signal strength from a modem's `AT+CSQ` answer (`+CSQ: <rssi>,<ber>`), in
 * the units VintageNetMobile publishes: the raw ASU (0..31, 99 unknown),
 * dBm, and bars out of four for a user interface.
 */

export interface SignalStrength {
  asu: number;
  dbm: number;
  bars: 0 | 1 | 2 | 3 | 4;
}

const UNKNOWN_ASU = 99;

export const UNKNOWN_SIGNAL: SignalStrength = { asu: UNKNOWN_ASU, dbm: -113, bars: 0 };

/** GSM ASU (what `AT+CSQ` reports) to dBm and bars; 99 means the modem does not know. */
export function signalFromAsu(asu: number): SignalStrength {
  if (asu === UNKNOWN_ASU) return UNKNOWN_SIGNAL;
  const clamped = Math.min(Math.max(asu, 0), 30);
  const bars = clamped <= 9 ? 1 : clamped <= 14 ? 2 : clamped <= 19 ? 3 : 4;
  return { asu, dbm: clamped * 2 - 113, bars };
}

const CSQ = /\+CSQ:\s*(\d+)\s*,\s*\d+/;

/** The strength in a command's output, or undefined when it holds no `+CSQ:` answer. */
export function parseCsq(output: string): SignalStrength | undefined {
  const match = CSQ.exec(output);
  return match ? signalFromAsu(Number(match[1])) : undefined;
}
