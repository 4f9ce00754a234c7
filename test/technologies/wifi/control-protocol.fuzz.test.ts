import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  parseEvent,
  parseKeyValues,
  parseScanResults,
  parseStatus,
} from "../../../src/technologies/wifi/control-protocol.js";
import { decodeSsidBytes, encodeSsid } from "../../../src/technologies/wifi/ssid-text.js";
import type { AccessPoint, WpaEvent } from "../../../src/technologies/wifi/wpa-events.js";
import { anyText, longLine, mutatedText, RUNS } from "../../fuzz/arbitraries.js";

/**
 * wpa_supplicant's messages carry text from the air: SSIDs of any 32 bytes,
 * printed escaped. Contract: parsing never throws; a message in one of the
 * formats wpa_supplicant prints comes back as the event it reports, with
 * the SSID's bytes decoded; anything else is `other` with its text.
 */

const utf8 = new TextDecoder();

const mac = fc
  .array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 })
  .map((bytes) => bytes.map((byte) => byte.toString(16).padStart(2, "0")).join(":"));
const ssidBytes = fc.uint8Array({ maxLength: 32 });
const u16 = fc.integer({ min: 0, max: 65_535 });
const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const i32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const networkId = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const frequency = fc.integer({ min: 1, max: 70_000 });
/** A user's id_str, or text wpa_supplicant appends in later versions: no line break. */
const lineText = fc.string({ maxLength: 40 }).map((text) => text.replace(/[\r\n]/g, " "));

type Sample = [line: string, event: WpaEvent];

const connected = fc
  .record({ bssid: mac, id: fc.option(networkId), idStr: lineText, tail: fc.boolean() })
  .map(
    ({ bssid, id, idStr, tail }): Sample => [
      `CTRL-EVENT-CONNECTED - Connection to ${bssid} completed [id=${id ?? -1} id_str=${idStr}]${tail ? ` ap_mld_addr=${bssid}` : ""}`,
      { kind: "connected", bssid, networkId: id ?? undefined },
    ],
  );

const disconnected = fc
  .record({ bssid: mac, reason: u16, local: fc.boolean() })
  .map(
    ({ bssid, reason, local }): Sample => [
      `CTRL-EVENT-DISCONNECTED bssid=${bssid} reason=${reason}${local ? " locally_generated=1" : ""}`,
      { kind: "disconnected", bssid, reason, locallyGenerated: local },
    ],
  );

const tempDisabled = fc
  .record({
    id: networkId,
    ssid: ssidBytes,
    failures: u32,
    duration: i32,
    reason: fc.stringMatching(/^[A-Z][A-Z_]{0,20}$/),
  })
  .map(
    ({ id, ssid, failures, duration, reason }): Sample => [
      `CTRL-EVENT-SSID-TEMP-DISABLED id=${id} ssid="${encodeSsid(ssid)}" auth_failures=${failures} duration=${duration} reason=${reason}`,
      {
        kind: "ssid_temp_disabled",
        networkId: id,
        ssid: utf8.decode(ssid),
        authFailures: failures,
        durationSeconds: duration,
        reason,
      },
    ],
  );

const reenabled = fc
  .record({ id: networkId, ssid: ssidBytes })
  .map(
    ({ id, ssid }): Sample => [
      `CTRL-EVENT-SSID-REENABLED id=${id} ssid="${encodeSsid(ssid)}"`,
      { kind: "ssid_reenabled", networkId: id, ssid: utf8.decode(ssid) },
    ],
  );

const bare = fc
  .record({
    sample: fc.constantFrom<[string, WpaEvent]>(
      ["CTRL-EVENT-NETWORK-NOT-FOUND", { kind: "network_not_found" }],
      ["CTRL-EVENT-SCAN-STARTED", { kind: "scan_started" }],
      ["CTRL-EVENT-SCAN-RESULTS", { kind: "scan_results" }],
      ["CTRL-EVENT-EAP-FAILURE", { kind: "eap_failure" }],
      ["CTRL-EVENT-TERMINATING", { kind: "terminating" }],
      ["AP-ENABLED", { kind: "ap_enabled" }],
      ["AP-DISABLED", { kind: "ap_disabled" }],
    ),
    tail: fc.constantFrom("", " ", " id=3", " EAP authentication failed"),
  })
  .map(({ sample: [name, event], tail }): Sample => [name + tail, event]);

const scanFailed = fc
  .record({ ret: i32, retry: fc.boolean() })
  .map(
    ({ ret, retry }): Sample => [
      `CTRL-EVENT-SCAN-FAILED ret=${ret}${retry ? " retry=1" : ""}`,
      { kind: "scan_failed", ret },
    ],
  );

const assocReject = fc
  .record({
    bssid: fc.option(mac),
    status: u16,
    timeout: fc.constantFrom("", " timeout", " timeout=auth"),
  })
  .map(
    ({ bssid, status, timeout }): Sample => [
      `CTRL-EVENT-ASSOC-REJECT ${bssid === null ? "" : `bssid=${bssid} `}status_code=${status}${timeout}`,
      {
        kind: "assoc_reject",
        bssid: bssid ?? undefined,
        statusCode: status,
        timedOut: timeout !== "",
      },
    ],
  );

const authReject = fc
  .record({ bssid: mac, type: u16, transaction: u16, status: u16, ie: fc.boolean() })
  .map(
    ({ bssid, type, transaction, status, ie }): Sample => [
      `CTRL-EVENT-AUTH-REJECT ${bssid} auth_type=${type} auth_transaction=${transaction} status_code=${status}${ie ? " ie=dd05" : ""}`,
      { kind: "auth_reject", bssid, statusCode: status },
    ],
  );

const trying = fc
  .record({
    step: fc.constantFrom("authenticate" as const, "associate" as const),
    bssid: mac,
    ssid: ssidBytes,
    frequency,
  })
  .map(
    ({ step, bssid, ssid, frequency }): Sample => [
      `${step === "authenticate" ? "SME: Trying to authenticate" : "Trying to associate"} with ${bssid} (SSID='${encodeSsid(ssid)}' freq=${frequency} MHz)`,
      { kind: "trying", step, bssid, ssid: utf8.decode(ssid), frequency },
    ],
  );

const stationEvent = fc
  .record({ connected: fc.boolean(), station: mac, tail: fc.constantFrom("", " keyid=k") })
  .map(
    ({ connected, station, tail }): Sample => [
      `${connected ? "AP-STA-CONNECTED" : "AP-STA-DISCONNECTED"} ${station}${tail}`,
      { kind: connected ? "station_connected" : "station_disconnected", mac: station },
    ],
  );

const wellFormed: fc.Arbitrary<Sample> = fc.oneof(
  connected,
  disconnected,
  tempDisabled,
  reenabled,
  bare,
  scanFailed,
  assocReject,
  authReject,
  trying,
  stationEvent,
);

const SAMPLES = [
  "CTRL-EVENT-CONNECTED - Connection to 02:00:00:00:01:00 completed [id=0 id_str=]",
  "CTRL-EVENT-DISCONNECTED bssid=02:00:00:00:01:00 reason=3 locally_generated=1",
  'CTRL-EVENT-SSID-TEMP-DISABLED id=0 ssid="a\\"b" auth_failures=1 duration=10 reason=WRONG_KEY',
  'CTRL-EVENT-SSID-REENABLED id=0 ssid="x"',
  "CTRL-EVENT-SCAN-FAILED ret=-16",
  "CTRL-EVENT-ASSOC-REJECT bssid=02:00:00:00:01:00 status_code=17",
  "CTRL-EVENT-AUTH-REJECT 02:00:00:00:01:00 auth_type=3 auth_transaction=1 status_code=1",
  "SME: Trying to authenticate with 02:00:00:00:01:00 (SSID='x' freq=2412 MHz)",
  "Trying to associate with 02:00:00:00:01:00 (SSID='x' freq=2412 MHz)",
  "AP-STA-CONNECTED 02:00:00:00:02:00",
];

const KINDS = new Set<WpaEvent["kind"]>([
  "connected",
  "disconnected",
  "ssid_temp_disabled",
  "ssid_reenabled",
  "network_not_found",
  "scan_started",
  "scan_results",
  "scan_failed",
  "assoc_reject",
  "auth_reject",
  "eap_failure",
  "trying",
  "ap_enabled",
  "ap_disabled",
  "station_connected",
  "station_disconnected",
  "terminating",
  "other",
]);

function checkAnyLine(text: string): void {
  const event = parseEvent(text);
  expect(KINDS.has(event.kind)).toBe(true);
  if (event.kind === "other") expect(event.text).toBe(text);
}

describe("parseEvent (fuzzed)", () => {
  it("round-trips every event in the format wpa_supplicant prints it, SSIDs of any bytes included", () => {
    fc.assert(
      fc.property(wellFormed, ([line, event]) => {
        expect(parseEvent(line)).toEqual(event);
      }),
      { numRuns: RUNS.many },
    );
  });

  it("never throws: any text, near-valid text and lines with line-breaking characters", () => {
    fc.assert(fc.property(fc.oneof(anyText, mutatedText(SAMPLES)), checkAnyLine), {
      numRuns: RUNS.many,
    });
  });

  it("answers ~100 KB lines in bounded time", () => {
    fc.assert(
      fc.property(
        longLine(
          ["a", " ", "\\", '\\"', "' freq=1 MHz)", "x=1 ", "[id=", "\\x4"],
          [
            "",
            'CTRL-EVENT-SSID-TEMP-DISABLED id=0 ssid="',
            "Trying to associate with 02:00:00:00:01:00 (SSID='",
            "CTRL-EVENT-CONNECTED - Connection to ",
            "CTRL-EVENT-DISCONNECTED ",
            "AP-STA-CONNECTED ",
          ],
        ),
        checkAnyLine,
      ),
      { numRuns: RUNS.few },
    );
  }, 20_000);
});

describe("SSID escaping", () => {
  it("decodes wpa_supplicant's printf_encode of any bytes back to those bytes", () => {
    fc.assert(
      fc.property(ssidBytes, (bytes) => {
        const printed = encodeSsid(bytes);
        expect(printed).toMatch(/^[\x20-\x7e]*$/);
        expect(printed).not.toMatch(/(?<!\\)(?:\\\\)*"/);
        expect(decodeSsidBytes(printed)).toEqual(bytes);
      }),
      { numRuns: RUNS.many },
    );
  });

  it("never throws on text that is no printf_encode output", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        decodeSsidBytes(text);
      }),
      { numRuns: RUNS.some },
    );
  });
});

const FLAGS = [
  "WPA2-PSK-CCMP",
  "WPA2-SAE-CCMP",
  "WPA-EAP-CCMP+TKIP",
  "SAE-H2E",
  "WPS",
  "WEP",
  "ESS",
  "IBSS",
  "P2P",
  "UTF-8",
];

const row = fc.record({
  bssid: mac,
  frequency: fc.oneof(fc.constantFrom(2412, 2437, 2484, 5180, 5825, 5955, 60_480), frequency),
  signalDbm: fc.integer({ min: -120, max: 20 }),
  flags: fc.array(fc.oneof(fc.constantFrom(...FLAGS), fc.stringMatching(/^[A-Z0-9+-]{0,12}$/)), {
    maxLength: 5,
  }),
  ssid: ssidBytes,
});

type Row = typeof row extends fc.Arbitrary<infer T> ? T : never;

const printedRow = (point: Row) =>
  [
    point.bssid,
    point.frequency,
    point.signalDbm,
    point.flags.map((flag) => `[${flag}]`).join(""),
    encodeSsid(point.ssid),
  ].join("\t");

/** A line without a tab cannot be a row. */
const junkLine = fc.string({ maxLength: 30 }).map((text) => text.replace(/[\t\n]/g, ""));

const essentials = (point: AccessPoint) => ({
  bssid: point.bssid,
  ssid: point.ssid,
  frequency: point.frequency,
  signalDbm: point.signalDbm,
  flags: point.flags,
});

describe("parseScanResults (fuzzed)", () => {
  it("returns the rows of a generated SCAN_RESULTS table, skipping lines that are no row", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(row, fc.option(junkLine)), { maxLength: 12 }), (entries) => {
        const lines = ["bssid / frequency / signal level / flags / ssid"];
        for (const [point, junk] of entries) {
          lines.push(printedRow(point));
          if (junk !== null) lines.push(junk);
        }
        const parsed = parseScanResults(`${lines.join("\n")}\n`);
        expect(parsed.map(essentials)).toEqual(
          entries.map(([point]) => ({ ...point, ssid: utf8.decode(point.ssid) })),
        );
        for (const point of parsed) {
          expect(point.signalPercent).toBeGreaterThanOrEqual(1);
          expect(point.signalPercent).toBeLessThanOrEqual(100);
        }
      }),
      { numRuns: RUNS.some },
    );
  });

  it("never throws on any text; every point it finds is well formed", () => {
    const sample =
      "bssid / frequency / signal level / flags / ssid\n02:00:00:00:01:00\t2412\t-35\t[WPA2-PSK-CCMP][ESS]\thome\n";
    fc.assert(
      fc.property(fc.oneof(anyText, mutatedText([sample])), (text) => {
        for (const point of parseScanResults(text)) {
          expect(point.bssid).toMatch(/^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/);
          expect(Number.isSafeInteger(point.frequency) && point.frequency > 0).toBe(true);
          expect(Number.isSafeInteger(point.signalDbm)).toBe(true);
        }
      }),
      { numRuns: RUNS.many },
    );
  });
});

describe("key=value replies (fuzzed)", () => {
  it("STATUS and STA parsing never throw and ignore prototype-named keys", () => {
    const keys = fc.constantFrom(
      "wpa_state",
      "ssid",
      "bssid",
      "freq",
      "id",
      "mode",
      "__proto__",
      "constructor",
      "flags",
      "signal",
    );
    const reply = fc
      .array(fc.tuple(keys, anyText), { maxLength: 10 })
      .map((pairs) => pairs.map(([key, value]) => `${key}=${value}`).join("\n"));
    fc.assert(
      fc.property(fc.oneof(reply, anyText), (text) => {
        parseStatus(text);
        expect(Object.getPrototypeOf(parseKeyValues(text))).toBe(Map.prototype);
      }),
      { numRuns: RUNS.some },
    );
  });
});
