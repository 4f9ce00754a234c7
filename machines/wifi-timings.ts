/**
 * The WiFi machine's timings, apart from the machine so that a config schema
 * can name the defaults without loading XState.
 */

export interface WifiTimings {
  /** Between PINGs while wpa_supplicant runs. */
  pingIntervalMs: number;
  /** A PING not answered by then counts as a hung wpa_supplicant. */
  pingTimeoutMs: number;
  /** Between scans while nothing is associated (the first one is immediate). */
  scanIntervalMs: number;
  /** Wait before the first restart; doubles for each further one in a row. */
  restartDelayMs: number;
  maxRestartDelayMs: number;
  /** A run whose PINGs were answered this long is healthy: the backoff starts over. */
  healthyRunMs: number;
  /** wpa_supplicant not ready (started, attached, configured) by then is restarted. */
  startTimeoutMs: number;
}

export const DEFAULT_WIFI_TIMINGS: WifiTimings = {
  pingIntervalMs: 10_000,
  pingTimeoutMs: 2_000,
  scanIntervalMs: 30_000,
  restartDelayMs: 1_000,
  maxRestartDelayMs: 30_000,
  healthyRunMs: 30_000,
  startTimeoutMs: 15_000,
};

/** A timing that is not a positive number of milliseconds; `field` names it. */
export class WifiTimingsError extends Error {
  constructor(
    readonly field: keyof WifiTimings,
    message: string,
  ) {
    super(`timings.${field}: ${message}`);
    this.name = "WifiTimingsError";
  }
}

/** The defaults with `overrides` applied, checked. */
export function wifiTimings(overrides: Partial<WifiTimings> = {}): WifiTimings {
  const timings = { ...DEFAULT_WIFI_TIMINGS, ...overrides };
  for (const field of Object.keys(DEFAULT_WIFI_TIMINGS) as Array<keyof WifiTimings>) {
    const value = timings[field];
    if (!Number.isFinite(value) || value <= 0) {
      throw new WifiTimingsError(field, `must be a positive number of milliseconds, got ${value}`);
    }
  }
  if (timings.maxRestartDelayMs < timings.restartDelayMs) {
    throw new WifiTimingsError(
      "maxRestartDelayMs",
      `must not be below restartDelayMs (${timings.restartDelayMs}), got ${timings.maxRestartDelayMs}`,
    );
  }
  return timings;
}
