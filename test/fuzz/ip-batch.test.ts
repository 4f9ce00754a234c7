import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type BatchFailure, parseBatchErrors } from "../../src/linux/ip.js";
import { isAlreadyGone } from "../../src/linux/routes.js";
import { anyText, longLine, mutatedText, RUNS } from "./arbitraries.js";

/**
 * `ip -force -batch` stderr: messages, then `Command failed -:N` for each
 * failing line. Contract: parseBatchErrors never throws; each failure names
 * a line by a safe integer, carries that line's command (empty when the
 * number is outside the batch) and a one-line message.
 */

const LINES = [
  "route add default via 192.0.2.1 dev eth0 metric 10 table main proto 222",
  "route del 192.0.2.0/24 dev eth0 src 192.0.2.10 scope link metric 10 table main",
  "rule del from 192.0.2.10 table 100 priority 100",
];
const STDERR_SAMPLES = [
  "RTNETLINK answers: File exists\nCommand failed -:1\nRTNETLINK answers: No such process\nCommand failed -:2\n",
  "Error: Nexthop has invalid gateway.\nRTNETLINK answers: Invalid argument\nCommand failed -:3\n",
  'Cannot find device "eth0"\nCommand failed -:2\n',
];

function expectSane(failures: readonly BatchFailure[], lines: readonly string[]): void {
  for (const failure of failures) {
    expect(Number.isSafeInteger(failure.line) && failure.line >= 0).toBe(true);
    expect(failure.command).toBe(lines[failure.line - 1] ?? "");
    expect(failure.message).not.toContain("\n");
    expect(typeof isAlreadyGone(failure)).toBe("boolean");
  }
}

describe("parseBatchErrors (fuzzed)", () => {
  it("names failed lines sanely for any stderr", () => {
    fc.assert(
      fc.property(
        fc.oneof(anyText, mutatedText(STDERR_SAMPLES)),
        fc.oneof(fc.constant(LINES), fc.array(anyText, { maxLength: 4 })),
        (stderr, lines) => {
          expectSane(parseBatchErrors(stderr, lines), lines);
        },
      ),
      { numRuns: RUNS.many },
    );
  });

  it("reads line numbers of any length as safe integers", () => {
    const lineNumbers = fc.string({
      unit: fc.constantFrom(..."0123456789"),
      minLength: 1,
      maxLength: 400,
      size: "max",
    });
    fc.assert(
      fc.property(lineNumbers, (digits) => {
        expectSane(
          parseBatchErrors(`RTNETLINK answers: File exists\nCommand failed -:${digits}\n`, LINES),
          LINES,
        );
      }),
      { numRuns: RUNS.some },
    );
  });

  it("answers ~100 KB lines in bounded time", () => {
    fc.assert(
      fc.property(
        longLine(["9", " ", "-:", "Command failed -:1"], ["", "Command failed -:"]),
        (stderr) => {
          expectSane(parseBatchErrors(stderr, LINES), LINES);
        },
      ),
      { numRuns: RUNS.few },
    );
  }, 20_000);
});
