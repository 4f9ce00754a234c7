import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  activeLeases,
  LeaseFileError,
  nextExpiry,
  parseLeaseFile,
} from "../../src/dhcp-server/leases.js";
import { isIpv4Address } from "../../src/route/ipv4.js";
import { RUNS } from "../fuzz/arbitraries.js";
import { encodeLeaseFile, ONE_CLIENT_NO_NAME, TWO_CLIENTS } from "./lease-bytes.js";

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

describe("udhcpd's lease file", () => {
  it("reads a file busybox udhcpd wrote, agreeing with dumpleases", () => {
    expect(parseLeaseFile(TWO_CLIENTS)).toEqual({
      writtenAt: iso(1796172250),
      truncated: false,
      records: [
        {
          mac: "02:00:00:00:00:02",
          address: "192.0.2.10",
          hostname: "client-two",
          expiresAt: iso(1796258642),
          remainingSeconds: 86392,
        },
        {
          mac: "02:00:00:00:00:01",
          address: "192.0.2.5",
          hostname: "client-one",
          expiresAt: iso(1796258640),
          remainingSeconds: 86390,
        },
      ],
    });
  });

  it("leaves out the host name of a client that gave none", () => {
    expect(parseLeaseFile(ONE_CLIENT_NO_NAME).records).toEqual([
      {
        mac: "02:00:00:00:00:02",
        address: "192.0.2.10",
        expiresAt: iso(1796258653),
        remainingSeconds: 86348,
      },
    ]);
  });

  it("lists the leases held now, by address, without reservations or run-out leases", () => {
    const file = parseLeaseFile(
      encodeLeaseFile(1_000_000, [
        { remainingSeconds: 600, address: "192.0.2.20", mac: "02:00:00:00:00:20", hostname: "b" },
        // Reserved for nobody after an ARP conflict or a decline.
        { remainingSeconds: 3600, address: "192.0.2.11", mac: "00:00:00:00:00:00" },
        // Released (udhcpd ends it at once) or run out before the file was written.
        { remainingSeconds: 0, address: "192.0.2.12", mac: "02:00:00:00:00:12" },
        { remainingSeconds: 60, address: "192.0.2.13", mac: "02:00:00:00:00:13" },
        { remainingSeconds: 600, address: "192.0.2.9", mac: "02:00:00:00:00:09", hostname: "a" },
      ]),
    );
    const leases = activeLeases(file, new Date(1_000_030_000));
    expect(leases).toEqual([
      { mac: "02:00:00:00:00:09", address: "192.0.2.9", hostname: "a", expiresAt: iso(1_000_600) },
      { mac: "02:00:00:00:00:13", address: "192.0.2.13", expiresAt: iso(1_000_060) },
      { mac: "02:00:00:00:00:20", address: "192.0.2.20", hostname: "b", expiresAt: iso(1_000_600) },
    ]);
    expect(nextExpiry(leases)).toEqual(new Date(1_000_060_000));
    // A minute later the short one has run out, though no new file says so.
    expect(activeLeases(file, new Date(1_000_060_000)).map((lease) => lease.address)).toEqual([
      "192.0.2.9",
      "192.0.2.20",
    ]);
    expect(nextExpiry([])).toBeUndefined();
  });

  it("cleans host names as udhcpd does", () => {
    const named = (hostname: string) =>
      parseLeaseFile(
        encodeLeaseFile(1_000_000, [
          { remainingSeconds: 60, address: "192.0.2.10", mac: "02:00:00:00:00:10", hostname },
        ]),
      ).records[0]?.hostname;
    expect(named("-rf $(reboot)")).toBe(".rf...reboot.");
    expect(named("ok_name-1.lan")).toBe("ok_name-1.lan");
    expect(named("\u00e9t\u00e9")).toBe(".t.");
    // 20 bytes with no NUL: all of them.
    const full = Buffer.from(TWO_CLIENTS);
    full.fill(0x41, 8 + 14, 8 + 34);
    expect(parseLeaseFile(full).records[0]?.hostname).toBe("A".repeat(20));
  });

  it("reports a file read in the middle of a write", () => {
    const half = TWO_CLIENTS.subarray(0, 8 + 36 + 10);
    expect(parseLeaseFile(half)).toMatchObject({
      truncated: true,
      records: [{ address: "192.0.2.10" }],
    });
    expect(parseLeaseFile(TWO_CLIENTS.subarray(0, 8))).toEqual({
      writtenAt: iso(1796172250),
      records: [],
      truncated: false,
    });
    expect(() => parseLeaseFile(Buffer.alloc(0))).toThrow(LeaseFileError);
    expect(() => parseLeaseFile(TWO_CLIENTS.subarray(0, 7))).toThrow(
      "udhcpd lease file: 7 bytes, shorter than its 8-byte header",
    );
  });

  it("refuses a header that is not a time", () => {
    const bad = Buffer.from(TWO_CLIENTS);
    bad.writeBigInt64BE(2n ** 62n, 0);
    expect(() => parseLeaseFile(bad)).toThrow(LeaseFileError);
    bad.writeBigInt64BE(-(2n ** 62n), 0);
    expect(() => parseLeaseFile(bad)).toThrow(LeaseFileError);
  });

  /** The checks every parse must pass: nothing but LeaseFileError, and only well-formed leases. */
  function checkAnyBytes(bytes: Uint8Array): void {
    let file: ReturnType<typeof parseLeaseFile>;
    try {
      file = parseLeaseFile(bytes);
    } catch (error) {
      expect(error).toBeInstanceOf(LeaseFileError);
      return;
    }
    expect(file.records).toHaveLength(Math.floor((bytes.length - 8) / 36));
    expect(file.truncated).toBe((bytes.length - 8) % 36 !== 0);
    for (const record of file.records) {
      expect(isIpv4Address(record.address)).toBe(true);
      expect(record.mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      if (record.hostname !== undefined) {
        expect(record.hostname).toMatch(/^[0-9A-Za-z._][0-9A-Za-z._-]{0,19}$/);
      }
      expect(new Date(record.expiresAt).toISOString()).toBe(record.expiresAt);
    }
    for (const lease of activeLeases(file, new Date(0))) {
      expect(lease.mac).not.toBe("00:00:00:00:00:00");
    }
  }

  it("never throws anything but LeaseFileError for any bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 8 + 36 * 4 + 40 }), checkAnyBytes), {
      numRuns: RUNS.many,
    });
  });

  it("yields only well-formed leases for any records after a plausible header", () => {
    const header = (seconds: bigint) => {
      const bytes = Buffer.alloc(8);
      bytes.writeBigInt64BE(seconds, 0);
      return bytes;
    };
    const anyFile = fc
      .tuple(
        fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }),
        fc.uint8Array({ maxLength: 36 * 4 + 40 }),
      )
      .map(([seconds, tail]) => Buffer.concat([header(seconds), tail]));
    // Real bytes with a few of them changed: near-valid records.
    const mutated = fc
      .array(
        fc.tuple(
          fc.integer({ min: 8, max: TWO_CLIENTS.length - 1 }),
          fc.integer({ min: 0, max: 255 }),
        ),
        {
          maxLength: 8,
        },
      )
      .map((changes) => {
        const bytes = Buffer.from(TWO_CLIENTS);
        for (const [offset, value] of changes) bytes[offset] = value;
        return bytes;
      });
    fc.assert(fc.property(fc.oneof(anyFile, mutated), checkAnyBytes), { numRuns: RUNS.many });
  });

  it("reads a cut-off file as the records written so far", () => {
    const whole = parseLeaseFile(TWO_CLIENTS);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: TWO_CLIENTS.length }), (length) => {
        const bytes = TWO_CLIENTS.subarray(0, length);
        if (length < 8) {
          expect(() => parseLeaseFile(bytes)).toThrow(LeaseFileError);
          return;
        }
        const file = parseLeaseFile(bytes);
        expect(file.records).toEqual(whole.records.slice(0, file.records.length));
        expect(file.truncated).toBe((length - 8) % 36 !== 0);
      }),
      { numRuns: RUNS.some },
    );
  });
});
