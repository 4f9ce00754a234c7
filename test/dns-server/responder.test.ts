import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DnsClass,
  DnsRcode,
  DnsType,
  decodeHeader,
  decodeMessage,
  encodeMessage,
} from "../../src/dns-server/message.js";
import { compileZone, respond } from "../../src/dns-server/responder.js";
import { dottedQuad, opt, query } from "./query.js";

const zone = compileZone(
  [
    { name: "printer.lan", address: "192.0.2.1" },
    { name: "printer.lan", address: "192.0.2.2" },
    { name: "nerves-1234", address: "192.0.2.1" },
  ],
  120,
);

function ask(bytes: Buffer) {
  const response = respond(bytes, zone);
  if (!response) throw new Error("no response");
  return decodeMessage(response);
}

describe("DNS responder", () => {
  it("answers a configured name's A records, whatever its case, authoritatively", () => {
    const reply = ask(query("PrInTeR.LAN", DnsType.A, { id: 77 }));
    expect(reply.header).toMatchObject({ id: 77, qr: true, aa: true, rd: true, ra: false });
    expect(reply.header.rcode).toBe(DnsRcode.NOERROR);
    // The question comes back as asked (DNS 0x20 clients check the case).
    expect(reply.questions).toEqual([{ name: ["PrInTeR", "LAN"], type: 1, class: 1 }]);
    expect(
      reply.answers.map((answer) => [answer.name, answer.ttl, dottedQuad(answer.data)]),
    ).toEqual([
      [["PrInTeR", "LAN"], 120, "192.0.2.1"],
      [["PrInTeR", "LAN"], 120, "192.0.2.2"],
    ]);
  });

  it("answers ANY with the A records, and other types with an empty NOERROR", () => {
    expect(ask(query("nerves-1234", DnsType.ANY)).answers).toHaveLength(1);
    const aaaa = ask(query("nerves-1234", 28));
    expect(aaaa.header.rcode).toBe(DnsRcode.NOERROR);
    expect(aaaa.header.aa).toBe(true);
    expect(aaaa.answers).toEqual([]);
  });

  it("answers the reverse name of a configured address with its names", () => {
    const reply = ask(query("1.2.0.192.in-addr.arpa", DnsType.PTR));
    expect(reply.header.rcode).toBe(DnsRcode.NOERROR);
    const names = reply.answers.map((answer) =>
      decodeMessage(
        // A PTR's data is a name: read it as the question of a bare message.
        Buffer.concat([
          Buffer.from([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
          answer.data,
          Buffer.from([0, 12, 0, 1]),
        ]),
      ).questions[0]?.name.join("."),
    );
    expect(names).toEqual(["printer.lan", "nerves-1234"]);
  });

  it("says NXDOMAIN below a configured name and REFUSED for anything else", () => {
    const below = ask(query("x.printer.lan"));
    expect(below.header.rcode).toBe(DnsRcode.NXDOMAIN);
    expect(below.header.aa).toBe(true);
    for (const name of ["example.com", "lan", "other.lan", "3.2.0.192.in-addr.arpa"]) {
      const reply = ask(query(name));
      expect(reply.header.rcode, name).toBe(DnsRcode.REFUSED);
      expect(reply.header.aa, name).toBe(false);
      expect(reply.answers, name).toEqual([]);
    }
  });

  it("refuses classes other than IN and ANY (CHAOS version.bind)", () => {
    expect(ask(query("printer.lan", DnsType.A, { class: 3 })).header.rcode).toBe(DnsRcode.REFUSED);
    expect(ask(query("printer.lan", DnsType.A, { class: DnsClass.ANY })).answers).toHaveLength(2);
  });

  it("never matches a label with a dot in it", () => {
    const bytes = query("printer.lan");
    // One label "printer.lan" instead of two.
    const oneLabel = Buffer.concat([
      bytes.subarray(0, 12),
      Buffer.from([11]),
      Buffer.from("printer.lan"),
      Buffer.from([0, 0, 1, 0, 1]),
    ]);
    expect(ask(oneLabel).header.rcode).toBe(DnsRcode.REFUSED);
  });

  it("answers EDNS with an OPT of its own, and BADVERS for a version it does not know", () => {
    const edns = ask(query("printer.lan", DnsType.A, { additional: [opt(4096)] }));
    expect(edns.answers).toHaveLength(2);
    expect(edns.additional).toEqual([
      { name: [], type: DnsType.OPT, class: 1232, ttl: 0, data: new Uint8Array() },
    ]);
    const future = ask(query("printer.lan", DnsType.A, { additional: [opt(4096, 1)] }));
    expect(future.answers).toEqual([]);
    // Extended rcode 16 = upper bits 1 in the OPT, lower bits 0 in the header.
    expect(future.header.rcode).toBe(0);
    expect(future.additional[0]?.ttl).toBe(2 ** 24);
  });

  it("gives FORMERR for two questions, answers in a query, two OPTs, or a malformed body", () => {
    const two = encodeMessage({
      ...decodeMessage(query("printer.lan")),
      questions: [
        { name: ["a"], type: 1, class: 1 },
        { name: ["b"], type: 1, class: 1 },
      ],
    });
    const withAnswer = encodeMessage({
      ...decodeMessage(query("printer.lan")),
      answers: [{ name: ["a"], type: 1, class: 1, ttl: 1, data: new Uint8Array(4) }],
    });
    const twoOpts = query("printer.lan", DnsType.A, { additional: [opt(), opt()] });
    const cut = query("printer.lan").subarray(0, 20);
    const none = encodeMessage({ ...decodeMessage(query("printer.lan")), questions: [] });
    for (const bytes of [two, withAnswer, twoOpts, cut, none]) {
      const reply = respond(bytes, zone);
      expect(reply && decodeHeader(reply)).toMatchObject({
        id: 0x1234,
        qr: true,
        rcode: DnsRcode.FORMERR,
      });
      expect(reply?.length).toBe(12);
    }
  });

  it("gives NOTIMP for other opcodes and drops responses and runts", () => {
    const status = respond(query("printer.lan", DnsType.A, { opcode: 2 }), zone);
    expect(status && decodeHeader(status)?.rcode).toBe(DnsRcode.NOTIMP);
    const response = ask(query("printer.lan"));
    expect(respond(encodeMessage(response), zone)).toBeUndefined();
    expect(respond(Buffer.alloc(11), zone)).toBeUndefined();
  });

  it("truncates to 512 bytes without EDNS", () => {
    const many = compileZone(
      Array.from({ length: 64 }, (_, index) => ({
        name: "many.lan",
        address: `192.0.2.${index + 1}`,
      })),
      60,
    );
    const plain = respond(query("many.lan"), many);
    expect(plain?.length).toBeLessThanOrEqual(512);
    expect(plain && decodeMessage(plain).header.tc).toBe(true);
    const large = respond(query("many.lan", DnsType.A, { additional: [opt(4096)] }), many);
    expect(large && decodeMessage(large).answers).toHaveLength(64);
  });

  it("never throws, and answers every query-shaped datagram with its id", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const reply = respond(bytes, zone);
        const header = decodeHeader(bytes);
        if (!header || header.qr) {
          expect(reply).toBeUndefined();
          return;
        }
        expect(reply).toBeDefined();
        const replyHeader = decodeHeader(reply as Buffer);
        expect(replyHeader).toMatchObject({ id: header.id, qr: true });
        expect(reply?.length).toBeLessThanOrEqual(1232);
        // A response is itself well formed.
        expect(() => decodeMessage(reply as Buffer)).not.toThrow();
      }),
      { numRuns: 5_000 },
    );
  });

  it("never throws on mutations of a real query", () => {
    const base = query("printer.lan", DnsType.A, { additional: [opt()] });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.nat(base.length),
        (flips, cut) => {
          const bytes = Buffer.from(base);
          for (const [at, value] of flips) bytes[at] = value;
          expect(() => respond(bytes.subarray(0, cut), zone)).not.toThrow();
          expect(() => respond(bytes, zone)).not.toThrow();
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
