import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type EapState, parseSupplicantLine } from "../../src/ieee8021x/supplicant-events.js";
import { anyText, longLine, mutatedText, RUNS } from "./arbitraries.js";

/**
 * wpa_supplicant's output carries text from the network: a server
 * certificate's subject, a peer's reason codes. Contract: parseSupplicantLine
 * never throws; it answers only for a `<ifname>: CTRL-EVENT-<NAME>` line of
 * this interface, with the state that event means, whatever text follows it.
 */

const STATES: Record<string, EapState> = {
  "EAP-STARTED": "authenticating",
  "EAP-SUCCESS": "authorized",
  CONNECTED: "authorized",
  "EAP-FAILURE": "failed",
  "EAP-TIMEOUT-FAILURE": "failed",
  "EAP-TLS-CERT-ERROR": "failed",
  DISCONNECTED: "starting",
};
const SAMPLES = [
  "eth0: CTRL-EVENT-EAP-STARTED EAP authentication started",
  "eth0: CTRL-EVENT-EAP-SUCCESS EAP authentication completed successfully",
  "eth0: CTRL-EVENT-CONNECTED - Connection to 01:80:c2:00:00:03 completed [id=0 id_str=]",
  "eth0: CTRL-EVENT-EAP-TLS-CERT-ERROR reason=1 depth=0 subject='/CN=a' err='Domain suffix mismatch'",
  "eth0: CTRL-EVENT-DISCONNECTED bssid=01:80:c2:00:00:03 reason=3",
  "eth0: CTRL-EVENT-EAP-METHOD EAP vendor 0 method 4 (MD5) selected",
];

/** readline has already split the output at \n and \r: a line holds neither. */
const lineText = anyText.map((text) => text.replace(/[\r\n]/g, ""));

/** Text from the network, often with a line break readline keeps but a regex's `.` refuses. */
const networkText = fc.oneof(
  lineText,
  fc
    .tuple(lineText, fc.constantFrom("\u2028", "\u2029", "\u0085", "\v", "\f"), lineText)
    .map((parts) => parts.join("")),
);

function check(line: string): void {
  const event = parseSupplicantLine("eth0", line);
  if (event === undefined) return;
  const name = /^eth0: CTRL-EVENT-([A-Z0-9-]+)/.exec(line.trim())?.[1];
  expect(name).toBeDefined();
  expect(event.detail.startsWith(`${name}`)).toBe(true);
  expect(Object.values(STATES)).toContain(event.state);
}

describe("parseSupplicantLine (fuzzed)", () => {
  it("answers only for this interface's known events, for any line", () => {
    fc.assert(fc.property(fc.oneof(lineText, mutatedText(SAMPLES)), check), { numRuns: RUNS.many });
  });

  it("gives each known event its state whatever text from the network follows", () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(STATES)), networkText, (name, rest) => {
        const event = parseSupplicantLine("eth0", `eth0: CTRL-EVENT-${name} ${rest}`);
        expect(event?.state).toBe(STATES[name]);
      }),
      { numRuns: RUNS.many },
    );
  });

  it("answers ~100 KB lines in bounded time", () => {
    fc.assert(
      fc.property(
        longLine(
          ["a", "A-", "-", " ", "eth0: ", "CTRL-EVENT-", ":"],
          ["", "eth0: CTRL-EVENT-", "eth0: CTRL-EVENT-EAP-SUCCESS "],
        ),
        check,
      ),
      { numRuns: RUNS.few },
    );
  }, 20_000);
});
