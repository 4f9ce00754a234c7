import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  endpointAddress,
  parseSsTcp,
  type TcpSocketInfo,
} from "../../src/connectivity/passive-evidence.js";
import { evidenceFor } from "../../src/connectivity/traffic-watcher.js";
import type { LinkAddress } from "../../src/linux/link-state.js";
import { ESTABLISHED, IPV6_ESTABLISHED, RETRANSMITTING_WITH_STATE } from "../support/ss-output.js";
import { anyText, longLine, mutatedText, RUNS } from "./arbitraries.js";

/**
 * `ss -tin` output describes the device's own sockets, but its endpoints and
 * counters are text that a changed iproute2 (or an odd socket) can bend.
 * Contract: parseSsTcp never throws; every socket it returns has the
 * documented fields only, endpoints without whitespace, counters that are
 * non-negative integers; the traffic evidence drawn from it is one of its three values.
 */

const IPV6_SOCKETS = [
  "ESTAB 0 0 [::ffff:192.0.2.10]:5000 [::ffff:203.0.113.53]:443",
  "\t cubic bytes_sent:100 bytes_received:200 bytes_acked:101 retrans:0/2 lastsnd:10 lastrcv:20",
  "0 0 192.0.2.10%eth0:5001 203.0.113.53:443",
  "\t bytes_sent:1 bytes_received:1",
  "ESTAB 0 0 [2001:db8::10]:5002 [2001:db8::1]:443",
  "",
].join("\n");
const SAMPLES = [ESTABLISHED, RETRANSMITTING_WITH_STATE, IPV6_SOCKETS, IPV6_ESTABLISHED];

const FIELDS = new Set([
  "local",
  "remote",
  "bytesSent",
  "bytesReceived",
  "bytesAcked",
  "retrans",
  "lastRcvMs",
  "lastSndMs",
]);

const ADDRESSES: LinkAddress[] = [
  { family: "inet", address: "192.0.2.10", prefixLength: 24 },
  { family: "inet6", address: "2001:db8::10", prefixLength: 64 },
];

function expectSane(sockets: readonly TcpSocketInfo[]): void {
  for (const socket of sockets) {
    for (const key of Object.keys(socket)) expect(FIELDS.has(key)).toBe(true);
    for (const endpoint of [socket.local, socket.remote]) {
      expect(endpoint).toMatch(/^\S+$/);
      expect(typeof endpointAddress(endpoint)).toBe("string");
    }
    for (const [key, value] of Object.entries(socket)) {
      if (key === "local" || key === "remote") continue;
      expect(Number.isSafeInteger(value) && value >= 0).toBe(true);
    }
  }
}

/** Whole outputs: arbitrary, mutated real ones, or real socket lines with odd counters. */
const output = fc.oneof(
  anyText,
  mutatedText(SAMPLES),
  fc
    .array(
      fc.tuple(
        fc.constantFrom(
          "bytes_sent",
          "bytes_received",
          "bytes_acked",
          "lastrcv",
          "lastsnd",
          "retrans",
          "__proto__",
          "constructor",
          "toString",
          "valueOf",
        ),
        fc.oneof(
          anyText,
          fc.constantFrom(
            "",
            "-1",
            "1.5",
            "1e3",
            "0x10",
            "Infinity",
            "1/",
            "/",
            "2/-3",
            "9".repeat(30),
          ),
        ),
      ),
      { maxLength: 6 },
    )
    .chain((counters) =>
      fc
        .constantFrom(
          "0 0 192.0.2.10:5000 203.0.113.53:443",
          "0 0 [2001:db8::10]:5000 [2001:db8:99::53]:443",
          "ESTAB 0 0 [2001:db8::10%wlan0]:5000 [2001:db8:99::53]:443",
        )
        .map(
          (socketLine) =>
            `${socketLine}\n\t ${counters.map(([name, value]) => `${name}:${value}`).join(" ")}\n`,
        ),
    ),
);

describe("parseSsTcp (fuzzed)", () => {
  it("returns only well-formed sockets for any output", () => {
    fc.assert(
      fc.property(output, (text) => {
        expectSane(parseSsTcp(text));
      }),
      { numRuns: RUNS.many },
    );
  });

  it("draws one of its three answers from any two readings", () => {
    fc.assert(
      fc.property(output, output, (before, after) => {
        const evidence = evidenceFor(parseSsTcp(before), parseSsTcp(after), ADDRESSES);
        expect(["seen", "stalled", "none"]).toContain(evidence);
      }),
      { numRuns: RUNS.some },
    );
  });

  it("draws the same evidence from IPv6 sockets as from IPv4 ones that moved alike", () => {
    /** One socket's counters in two readings; absent before: a new socket. */
    const movement = fc.record({
      peer: fc.integer({ min: 1, max: 4 }),
      before: fc.option(fc.tuple(fc.nat(1_000), fc.nat(1_000), fc.nat(5)), { nil: undefined }),
      after: fc.tuple(fc.nat(1_000), fc.nat(1_000), fc.nat(5)),
    });
    /** The first two peers are beyond the interface, the others on its own subnet or prefix. */
    const families = {
      ipv4: (index: number, peer: number) => ({
        local: `192.0.2.10:${5_000 + index}`,
        remote: peer <= 2 ? `203.0.113.${peer}:443` : `192.0.2.${peer}:443`,
      }),
      ipv6: (index: number, peer: number) => ({
        local: `[2001:db8::10]:${5_000 + index}`,
        remote: peer <= 2 ? `[2001:db8:99::${peer}]:443` : `[2001:db8::${peer}]:443`,
      }),
    };
    fc.assert(
      fc.property(fc.array(movement, { maxLength: 6 }), (movements) => {
        const [v4, v6] = (["ipv4", "ipv6"] as const).map((family) => {
          const before: TcpSocketInfo[] = [];
          const after: TcpSocketInfo[] = [];
          movements.forEach(({ peer, before: old, after: now }, index) => {
            const ends = families[family](index, peer);
            const counters = ([sent, received, retrans]: [number, number, number]) => ({
              bytesSent: sent,
              bytesReceived: received,
              retrans,
            });
            if (old) before.push({ ...ends, ...counters(old) });
            after.push({ ...ends, ...counters(now) });
          });
          return evidenceFor(before, after, ADDRESSES);
        });
        expect(v6).toBe(v4);
      }),
      { numRuns: RUNS.some },
    );
  });

  it("answers ~100 KB lines in bounded time", () => {
    fc.assert(
      fc.property(
        longLine(
          [" ", "\t", "a:", ":", "1 ", "%", "[", "::ffff:"],
          ["", "0 0 ", "\t bytes_sent:", "0 0 [::ffff:"],
        ),
        (text) => {
          expectSane(parseSsTcp(text));
        },
      ),
      { numRuns: RUNS.few },
    );
  }, 20_000);
});
