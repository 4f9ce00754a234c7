import type { AccessPoint } from "../technologies/wifi/wpa-events.js";
import { terminalText } from "../terminal-text.js";
import { wifiSecurity } from "./wifi-security.js";

/**
 * `statenet wifi scan` for a person: one row per access point, strongest
 * signal first. The SSID is the last column: how wide it shows on a
 * terminal cannot be told from its characters (wide scripts, combining
 * marks), so nothing after it would line up.
 */

export const HIDDEN_SSID = "(hidden)";

/**
 * A hidden network beacons no name: an empty SSID, or as many zero bytes as
 * its name is long.
 */
export function ssidText(ssid: string): string {
  return /^\0*$/.test(ssid) ? HIDDEN_SSID : terminalText(ssid);
}

interface Column {
  header: string;
  cell: (point: AccessPoint) => string;
  alignRight?: boolean;
}

const COLUMNS: readonly Column[] = [
  { header: "BSSID", cell: (point) => terminalText(point.bssid) },
  {
    header: "CH",
    cell: (point) => (point.channel > 0 ? String(point.channel) : "-"),
    alignRight: true,
  },
  { header: "BAND", cell: (point) => terminalText(point.band) },
  {
    header: "SIGNAL",
    cell: (point) => `${point.signalDbm} dBm ${String(point.signalPercent).padStart(3)}%`,
    alignRight: true,
  },
  { header: "SECURITY", cell: (point) => wifiSecurity(point.flags) },
  { header: "SSID", cell: (point) => ssidText(point.ssid) },
];

/** Strongest first; equal ones by name, then BSSID, so that the order never depends on the scan's. */
function strongestFirst(a: AccessPoint, b: AccessPoint): number {
  return (
    b.signalDbm - a.signalDbm ||
    (a.ssid < b.ssid ? -1 : a.ssid > b.ssid ? 1 : 0) ||
    (a.bssid < b.bssid ? -1 : a.bssid > b.bssid ? 1 : 0)
  );
}

export function accessPointTable(points: readonly AccessPoint[]): string {
  if (points.length === 0) return "no access points found";
  const rows = [
    COLUMNS.map((column) => column.header),
    ...[...points].sort(strongestFirst).map((point) => COLUMNS.map((column) => column.cell(point))),
  ];
  const widths = COLUMNS.map((_, index) => Math.max(...rows.map((row) => row[index]?.length ?? 0)));
  return rows
    .map((row) =>
      row
        .map((cell, index) => {
          if (index === COLUMNS.length - 1) return cell;
          const width = widths[index] ?? 0;
          return COLUMNS[index]?.alignRight ? cell.padStart(width) : cell.padEnd(width);
        })
        .join("  "),
    )
    .join("\n");
}
