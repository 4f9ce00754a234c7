import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDaemonRecord, startTimeOfStat } from "../../src/linux/daemon-pids.js";
import { anyText, mutatedJson, mutatedText, oddJsonValue, RUNS } from "./arbitraries.js";

/**
 * A pid record decides which process a restarted manager kills, so a torn
 * or foreign record must never name one; /proc/<pid>/stat carries a command
 * name any process can set. Contract: neither parser throws; a record names
 * a pid Linux can hand out (2..4194304) and a start time in clock ticks; the
 * start time read from stat is field 22 whatever the command name holds.
 */

const RECORD = { pid: 4711, startTime: "123456" };

/** A stat line as the kernel prints it, with `comm` as field 2 and `start` as field 22. */
function statLine(comm: string, state: string, start: number): string {
  const fields = [
    state,
    ...Array.from({ length: 18 }, (_, index) => String(index + 1)),
    String(start),
    "99",
    "100",
  ];
  return `4711 (${comm}) ${fields.join(" ")}\n`;
}

describe("parseDaemonRecord (fuzzed)", () => {
  it("names only a plausible process, or nothing, for any file content", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyText,
          mutatedText([JSON.stringify(RECORD)]),
          mutatedJson([RECORD]).map((value) => JSON.stringify(value) ?? ""),
          oddJsonValue.map((value) => JSON.stringify(value) ?? ""),
          fc.constantFrom(
            '{"pid":1e400,"startTime":"1"}',
            '{"pid":4294967296,"startTime":"1"}',
            "null",
          ),
        ),
        (text) => {
          const record = parseDaemonRecord(text);
          if (record === undefined) return;
          expect(Number.isInteger(record.pid)).toBe(true);
          expect(record.pid).toBeGreaterThanOrEqual(2);
          expect(record.pid).toBeLessThanOrEqual(4_194_304);
          expect(record.startTime).toMatch(/^\d+$/);
        },
      ),
      { numRuns: RUNS.many },
    );
  });
});

describe("startTimeOfStat (fuzzed)", () => {
  it("reads field 22 whatever the command name holds", () => {
    fc.assert(
      fc.property(
        fc.oneof(anyText, fc.constantFrom(") S 1 2", "a) (b", ")", "(", " ", ") Z")),
        fc.constantFrom("S", "R", "D", "Z"),
        fc.nat(),
        (comm, state, start) => {
          expect(startTimeOfStat(statLine(comm, state, start))).toBe(
            state === "Z" ? undefined : String(start),
          );
        },
      ),
      { numRuns: RUNS.many },
    );
  });

  it("answers undefined or clock ticks for any text", () => {
    fc.assert(
      fc.property(fc.oneof(anyText, mutatedText([statLine("udhcpc", "S", 1234)])), (text) => {
        const start = startTimeOfStat(text);
        if (start !== undefined) expect(start).toMatch(/^\d+$/);
      }),
      { numRuns: RUNS.many },
    );
  });
});
