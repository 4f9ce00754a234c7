import {
  DnsClass,
  DnsFormatError,
  type DnsHeader,
  type DnsMessage,
  DnsOpcode,
  type DnsQuestion,
  DnsRcode,
  type DnsRecord,
  DnsType,
  decodeHeader,
  decodeMessage,
  encodeMessage,
  lowerCaseName,
  nameLabels,
} from "./message.js";

/**
 * What the DNS server answers, decided without any I/O: a query's bytes in,
 * the response's bytes out (or nothing). It is authoritative for exactly
 * its configured names, never a resolver:
 *
 * - A configured name (compared case-insensitively): its A records for a
 *   question of type A or ANY; for any other type an empty NOERROR answer
 *   (the name exists, a client's AAAA question must not make it give up on it).
 * - The reverse name of a configured address (`4.3.2.1.in-addr.arpa`): PTR
 *   records naming it.
 * - A name below a configured one (`x.printer.lan` when `printer.lan` is
 *   configured): NXDOMAIN, as the owner of that name knows there is none.
 * - Anything else: REFUSED, not NXDOMAIN. The server's clients often have
 *   other name servers too (a laptop on a USB link); REFUSED sends them
 *   there, where NXDOMAIN would tell them the name does not exist at all.
 *
 * Bytes that are not a query: shorter than a header, or a response (never
 * answered, so two servers cannot bounce packets between them) are
 * dropped; any other malformed message gets FORMERR, a query with
 * another opcode NOTIMP, and a class other than IN or ANY REFUSED.
 * EDNS (RFC 6891): an OPT record is answered with one of ours; an EDNS
 * version other than 0 gets BADVERS.
 */

export interface DnsAddressRecord {
  name: string;
  address: string;
}

export interface DnsZone {
  /** Lower-case name (labels joined by dots) → its addresses, in the order configured. */
  readonly addresses: ReadonlyMap<string, readonly string[]>;
  /** Reverse name (`4.3.2.1.in-addr.arpa`) → the names with that address, as configured. */
  readonly reverse: ReadonlyMap<string, readonly string[]>;
  /** The configured names as label lists (lower case), for the "below a name" rule. */
  readonly names: readonly (readonly string[])[];
  readonly ttlSeconds: number;
}

/** Without EDNS a UDP response holds at most this (RFC 1035 §2.3.4). */
const CLASSIC_UDP_BYTES = 512;
/** The most we send with EDNS, whatever the client offers: no IP fragments (DNS flag day 2020). */
const EDNS_UDP_BYTES = 1232;
const BADVERS = 16;

function reverseName(address: string): string {
  return `${address.split(".").reverse().join(".")}.in-addr.arpa`;
}

/** Builds the lookup tables; the records are already valid names and addresses (the schema checked). */
export function compileZone(records: readonly DnsAddressRecord[], ttlSeconds: number): DnsZone {
  const addresses = new Map<string, string[]>();
  const reverse = new Map<string, string[]>();
  for (const { name, address } of records) {
    const key = lowerCaseName(nameLabels(name)).join(".");
    const known = addresses.get(key) ?? [];
    if (!known.includes(address)) addresses.set(key, [...known, address]);
    const back = reverse.get(reverseName(address)) ?? [];
    if (!back.some((each) => each.toLowerCase() === key)) {
      reverse.set(reverseName(address), [...back, nameLabels(name).join(".")]);
    }
  }
  const names = [...addresses.keys()].map((key) => key.split("."));
  return { addresses, reverse, names, ttlSeconds };
}

function addressBytes(address: string): Uint8Array {
  return Uint8Array.from(address.split(".").map(Number));
}

function nameBytes(name: string): Uint8Array {
  const labels = nameLabels(name);
  return Buffer.concat([
    ...labels.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)])),
    Buffer.from([0]),
  ]);
}

function isBelow(name: readonly string[], parent: readonly string[]): boolean {
  if (name.length <= parent.length) return false;
  const tail = name.slice(name.length - parent.length);
  return tail.every((label, index) => label === parent[index]);
}

interface Answer {
  rcode: number;
  authoritative: boolean;
  answers: DnsRecord[];
}

function answerQuestion(question: DnsQuestion, zone: DnsZone): Answer {
  const refused: Answer = { rcode: DnsRcode.REFUSED, authoritative: false, answers: [] };
  if (question.class !== DnsClass.IN && question.class !== DnsClass.ANY) return refused;
  const lower = lowerCaseName(question.name);
  // A label with a dot in it would otherwise look like two.
  if (lower.some((label) => label.includes("."))) return refused;
  const key = lower.join(".");
  const record = (type: number, data: Uint8Array): DnsRecord => ({
    name: question.name,
    type,
    class: DnsClass.IN,
    ttl: zone.ttlSeconds,
    data,
  });
  const addresses = zone.addresses.get(key);
  if (addresses) {
    const wanted = question.type === DnsType.A || question.type === DnsType.ANY;
    return {
      rcode: DnsRcode.NOERROR,
      authoritative: true,
      answers: wanted ? addresses.map((address) => record(DnsType.A, addressBytes(address))) : [],
    };
  }
  const names = zone.reverse.get(key);
  if (names) {
    const wanted = question.type === DnsType.PTR || question.type === DnsType.ANY;
    return {
      rcode: DnsRcode.NOERROR,
      authoritative: true,
      answers: wanted ? names.map((name) => record(DnsType.PTR, nameBytes(name))) : [],
    };
  }
  if (zone.names.some((name) => isBelow(lower, name))) {
    return { rcode: DnsRcode.NXDOMAIN, authoritative: true, answers: [] };
  }
  return refused;
}

function replyHeader(query: DnsHeader, rcode: number, authoritative = false): DnsHeader {
  return {
    id: query.id,
    qr: true,
    opcode: query.opcode,
    aa: authoritative,
    tc: false,
    rd: query.rd,
    ra: false,
    rcode,
  };
}

/** A response of a header alone (FORMERR, NOTIMP): nothing of the query is trusted enough to echo. */
function bareReply(query: DnsHeader, rcode: number): Buffer {
  return encodeMessage({
    header: replyHeader(query, rcode),
    questions: [],
    answers: [],
    authority: [],
    additional: [],
  });
}

function ednsRecord(extendedRcode: number): DnsRecord {
  return {
    name: [],
    type: DnsType.OPT,
    class: EDNS_UDP_BYTES,
    // Upper 8 bits of the rcode, version 0, no flags (we sign nothing: DO stays clear).
    ttl: (extendedRcode >> 4) * 2 ** 24,
    data: new Uint8Array(0),
  };
}

/** The response to one datagram, or undefined to send nothing. Never throws for any bytes. */
export function respond(query: Uint8Array, zone: DnsZone): Buffer | undefined {
  const header = decodeHeader(query);
  if (!header || header.qr) return undefined;
  let message: DnsMessage;
  try {
    message = decodeMessage(query);
  } catch (error) {
    if (error instanceof DnsFormatError) return bareReply(header, DnsRcode.FORMERR);
    throw error;
  }
  if (header.opcode !== DnsOpcode.QUERY) return bareReply(header, DnsRcode.NOTIMP);
  const [question] = message.questions;
  const options = message.additional.filter((record) => record.type === DnsType.OPT);
  if (
    !question ||
    message.questions.length !== 1 ||
    message.answers.length > 0 ||
    options.length > 1 ||
    options.some((record) => record.name.length > 0)
  ) {
    return bareReply(header, DnsRcode.FORMERR);
  }
  const [edns] = options;
  if (edns && Math.floor(edns.ttl / 2 ** 16) % 256 !== 0) {
    return encodeMessage({
      header: replyHeader(header, BADVERS & 0xf),
      questions: [question],
      answers: [],
      authority: [],
      additional: [ednsRecord(BADVERS)],
    });
  }
  const answer = answerQuestion(question, zone);
  const maxBytes = edns
    ? Math.min(Math.max(edns.class, CLASSIC_UDP_BYTES), EDNS_UDP_BYTES)
    : CLASSIC_UDP_BYTES;
  return encodeMessage(
    {
      header: replyHeader(header, answer.rcode, answer.authoritative),
      questions: [question],
      answers: answer.answers,
      authority: [],
      additional: edns ? [ednsRecord(0)] : [],
    },
    maxBytes,
  );
}
