import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DnsFormatError,
  type DnsMessage,
  DnsNameError,
  decodeHeader,
  decodeMessage,
  encodeMessage,
  lowerCaseName,
} from "../../src/dns-server/message.js";

const label = fc
  .uint8Array({ minLength: 1, maxLength: 63 })
  .map((bytes) => Buffer.from(bytes).toString("latin1"));
/** Names that fit the 255-byte limit: at most 4 labels of up to 63 bytes. */
const name = fc.array(label, { maxLength: 3 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const record = fc.record({
  name,
  type: u16,
  class: u16,
  ttl: fc.integer({ min: 0, max: 0xffff_ffff }),
  data: fc.uint8Array({ maxLength: 40 }),
});
const message: fc.Arbitrary<DnsMessage> = fc.record({
  header: fc.record({
    id: u16,
    qr: fc.boolean(),
    opcode: fc.integer({ min: 0, max: 15 }),
    aa: fc.boolean(),
    tc: fc.boolean(),
    rd: fc.boolean(),
    ra: fc.boolean(),
    rcode: fc.integer({ min: 0, max: 15 }),
  }),
  questions: fc.array(fc.record({ name, type: u16, class: u16 }), { maxLength: 3 }),
  answers: fc.array(record, { maxLength: 3 }),
  authority: fc.array(record, { maxLength: 2 }),
  additional: fc.array(record, { maxLength: 2 }),
});

describe("DNS message codec", () => {
  it("decodes what it encodes", () => {
    fc.assert(
      fc.property(message, (original) => {
        const decoded = decodeMessage(encodeMessage(original));
        expect(decoded).toEqual({
          ...original,
          answers: original.answers.map((each) => ({ ...each, data: Uint8Array.from(each.data) })),
          authority: original.authority.map((each) => ({
            ...each,
            data: Uint8Array.from(each.data),
          })),
          additional: original.additional.map((each) => ({
            ...each,
            data: Uint8Array.from(each.data),
          })),
        });
      }),
    );
  });

  it("throws only DnsFormatError, whatever the bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          decodeMessage(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(DnsFormatError);
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it("follows a name pointer back to an earlier name", () => {
    // Header, question "a.example" at 12, then an answer whose name points to it.
    const bytes = Buffer.from([
      0,
      1,
      0x81,
      0x80,
      0,
      1,
      0,
      1,
      0,
      0,
      0,
      0,
      1,
      0x61,
      7,
      ...Buffer.from("example"),
      0,
      0,
      1,
      0,
      1,
      0xc0,
      12,
      0,
      1,
      0,
      1,
      0,
      0,
      0,
      60,
      0,
      4,
      192,
      0,
      2,
      1,
    ]);
    const decoded = decodeMessage(bytes);
    expect(decoded.answers[0]?.name).toEqual(["a", "example"]);
    expect(Array.from(decoded.answers[0]?.data ?? [])).toEqual([192, 0, 2, 1]);
  });

  it("refuses a pointer that points to itself or forward (no loops)", () => {
    const header = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    expect(() => decodeMessage(Buffer.from([...header, 0xc0, 12, 0, 1, 0, 1]))).toThrow(
      /does not point back/,
    );
    expect(() => decodeMessage(Buffer.from([...header, 0xc0, 14, 0, 0, 1, 0, 1]))).toThrow(
      DnsFormatError,
    );
  });

  it("stops a chain of pointers to pointers after 127 hops", () => {
    // The first answer's data holds a root name at 23, then pointers each to the one
    // before it; the second answer's name points to the last of them.
    const pointerTo = (target: number) => [0xc0 | (target >> 8), target & 0xff];
    const message = (count: number) => {
      const start = 23;
      const at = (index: number) => start + 1 + 2 * index;
      const chain = [
        0,
        ...Array.from({ length: count }, (_, index) =>
          pointerTo(index === 0 ? start : at(index - 1)),
        ).flat(),
      ];
      const fixed = (length: number) => [0, 1, 0, 1, 0, 0, 0, 60, length >> 8, length & 0xff];
      return Buffer.from([
        ...[0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0],
        ...[0, ...fixed(chain.length), ...chain],
        ...[...pointerTo(at(count - 1)), ...fixed(0)],
      ]);
    };
    // 126 in the chain and the name's own: 127 hops.
    expect(decodeMessage(message(126)).answers[1]?.name).toEqual([]);
    expect(() => decodeMessage(message(127))).toThrow(/too many pointers/);
  });

  it("refuses names over 255 bytes, unknown label types, cut records and trailing bytes", () => {
    const header = (questions: number) => [0, 1, 0, 0, 0, questions, 0, 0, 0, 0, 0, 0];
    const long = Array.from({ length: 5 }, () => [63, ...new Array(63).fill(0x61)]).flat();
    expect(() => decodeMessage(Buffer.from([...header(1), ...long, 0, 0, 1, 0, 1]))).toThrow(
      /longer than 255/,
    );
    expect(() => decodeMessage(Buffer.from([...header(1), 0x40, 0, 0, 1, 0, 1]))).toThrow(
      /label type/,
    );
    expect(() => decodeMessage(Buffer.from([...header(1), 0, 0, 1, 0]))).toThrow(/past the end/);
    expect(() => decodeMessage(Buffer.from([...header(0), 0]))).toThrow(/after the last record/);
  });

  it("reads any 12 bytes as a header and fewer as none", () => {
    expect(decodeHeader(Buffer.alloc(11))).toBeUndefined();
    expect(decodeHeader(Buffer.from([0xab, 0xcd, 0x85, 0x83, 0, 0, 0, 0, 0, 0, 0, 0]))).toEqual({
      id: 0xabcd,
      qr: true,
      opcode: 0,
      aa: true,
      tc: false,
      rd: true,
      ra: true,
      rcode: 3,
    });
  });

  it("leaves out the answers that do not fit and says so with TC", () => {
    const answer = { name: ["a"], type: 1, class: 1, ttl: 60, data: new Uint8Array(4) };
    const bytes = encodeMessage(
      {
        header: { id: 1, qr: true, opcode: 0, aa: true, tc: false, rd: false, ra: false, rcode: 0 },
        questions: [{ name: ["a"], type: 1, class: 1 }],
        answers: Array.from({ length: 100 }, () => answer),
        authority: [],
        additional: [],
      },
      512,
    );
    expect(bytes.length).toBeLessThanOrEqual(512);
    const decoded = decodeMessage(bytes);
    expect(decoded.header.tc).toBe(true);
    expect(decoded.answers.length).toBe(Math.floor((512 - 12 - 7) / 16));
  });

  it("refuses to encode an empty or oversized label", () => {
    const bad = (labels: string[]) =>
      encodeMessage({
        header: {
          id: 1,
          qr: true,
          opcode: 0,
          aa: false,
          tc: false,
          rd: false,
          ra: false,
          rcode: 0,
        },
        questions: [{ name: labels, type: 1, class: 1 }],
        answers: [],
        authority: [],
        additional: [],
      });
    expect(() => bad([""])).toThrow(DnsNameError);
    expect(() => bad(["a".repeat(64)])).toThrow(DnsNameError);
  });

  it("lowers ASCII letters only", () => {
    expect(lowerCaseName(["PrInTeR", "LAN", "\u00C0b"])).toEqual(["printer", "lan", "\u00C0b"]);
  });
});
