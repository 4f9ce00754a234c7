import {
  DnsClass,
  type DnsRecord,
  DnsType,
  encodeMessage,
  nameLabels,
} from "../../src/dns-server/message.js";

/** A query as a stub resolver sends it: one question, recursion desired. */
export function query(
  name: string,
  type: number = DnsType.A,
  options: { id?: number; class?: number; additional?: DnsRecord[]; opcode?: number } = {},
): Buffer {
  return encodeMessage({
    header: {
      id: options.id ?? 0x1234,
      qr: false,
      opcode: options.opcode ?? 0,
      aa: false,
      tc: false,
      rd: true,
      ra: false,
      rcode: 0,
    },
    questions: [{ name: nameLabels(name), type, class: options.class ?? DnsClass.IN }],
    answers: [],
    authority: [],
    additional: options.additional ?? [],
  });
}

/** An EDNS OPT record offering this UDP payload size, of this EDNS version. */
export function opt(payload = 4096, version = 0): DnsRecord {
  return {
    name: [],
    type: DnsType.OPT,
    class: payload,
    ttl: version * 2 ** 16,
    data: new Uint8Array(),
  };
}

/** An A record's data as a dotted quad. */
export function dottedQuad(data: Uint8Array): string {
  return Array.from(data).join(".");
}
