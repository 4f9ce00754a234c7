/**
 * DNS messages (RFC 1035 §4.1) as the DNS server needs them: decoding any
 * message, pointers in names included, and encoding the responses it sends
 * (a record named like the first question points to it; other names are
 * written out in full). Labels are kept as latin1
 * strings, one character per byte, so a label with odd bytes survives a
 * round trip and can never equal a configured name by accident.
 */

export const HEADER_BYTES = 12;
/** A name's wire form is at most this long, length bytes and root included. */
export const MAX_NAME_BYTES = 255;
const MAX_LABEL_BYTES = 63;
/**
 * Pointers one name may follow: a name has at most 127 labels, so a real one
 * needs no more, and a crafted chain of pointers to pointers cannot make a
 * big datagram cost quadratic time.
 */
const MAX_POINTER_HOPS = 127;

export const DnsType = { A: 1, PTR: 12, OPT: 41, ANY: 255 } as const;
export const DnsClass = { IN: 1, ANY: 255 } as const;
export const DnsOpcode = { QUERY: 0 } as const;
export const DnsRcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
} as const;

export interface DnsHeader {
  id: number;
  /** A response (true) or a query. */
  qr: boolean;
  opcode: number;
  /** Authoritative answer. */
  aa: boolean;
  /** Truncated: the whole answer did not fit. */
  tc: boolean;
  /** Recursion desired (the client's wish, copied into the response). */
  rd: boolean;
  ra: boolean;
  /** The low 4 bits of the response code. */
  rcode: number;
}

export interface DnsQuestion {
  /** Labels, root excluded: `["printer", "lan"]`. */
  name: string[];
  type: number;
  class: number;
}

export interface DnsRecord {
  name: string[];
  type: number;
  /** For OPT (EDNS), the sender's UDP payload size. */
  class: number;
  /** For OPT, the extended rcode, version and flags. */
  ttl: number;
  data: Uint8Array;
}

export interface DnsMessage {
  header: DnsHeader;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authority: DnsRecord[];
  additional: DnsRecord[];
}

/** The bytes are not a well-formed DNS message; a server answers FORMERR or nothing. */
export class DnsFormatError extends Error {
  constructor(reason: string) {
    super(`malformed DNS message: ${reason}`);
    this.name = "DnsFormatError";
  }
}

/** The header of any 12 or more bytes; undefined for fewer. */
export function decodeHeader(bytes: Uint8Array): DnsHeader | undefined {
  if (bytes.length < HEADER_BYTES) return undefined;
  const flags = ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0);
  return {
    id: ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
  };
}

class Reader {
  readonly #bytes: Uint8Array;
  offset = HEADER_BYTES;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  #need(count: number, what: string): void {
    if (this.offset + count > this.#bytes.length) {
      throw new DnsFormatError(`${what} runs past the end (byte ${this.offset})`);
    }
  }

  u16(what: string): number {
    this.#need(2, what);
    const value = ((this.#bytes[this.offset] ?? 0) << 8) | (this.#bytes[this.offset + 1] ?? 0);
    this.offset += 2;
    return value;
  }

  u32(what: string): number {
    return this.u16(what) * 0x10000 + this.u16(what);
  }

  take(count: number, what: string): Uint8Array {
    this.#need(count, what);
    const slice = Uint8Array.from(this.#bytes.subarray(this.offset, this.offset + count));
    this.offset += count;
    return slice;
  }

  /**
   * A name at the current offset. A pointer must point before the place it
   * is read from, so every chain ends: no loops, whatever the bytes.
   */
  name(): string[] {
    const bytes = this.#bytes;
    const labels: string[] = [];
    let wireBytes = 1;
    let at = this.offset;
    let resumeAt: number | undefined;
    let hops = 0;
    for (;;) {
      if (at >= bytes.length) throw new DnsFormatError(`name runs past the end (byte ${at})`);
      const length = bytes[at] ?? 0;
      if (length === 0) {
        at += 1;
        break;
      }
      const kind = length & 0xc0;
      if (kind === 0xc0) {
        if (at + 1 >= bytes.length) throw new DnsFormatError("name pointer cut short");
        const target = ((length & 0x3f) << 8) | (bytes[at + 1] ?? 0);
        if (target >= at) throw new DnsFormatError(`name pointer at ${at} does not point back`);
        hops += 1;
        if (hops > MAX_POINTER_HOPS) throw new DnsFormatError("name follows too many pointers");
        resumeAt ??= at + 2;
        at = target;
        continue;
      }
      if (kind !== 0) throw new DnsFormatError(`label type 0x${kind.toString(16)} is not known`);
      wireBytes += length + 1;
      if (wireBytes > MAX_NAME_BYTES) throw new DnsFormatError("name longer than 255 bytes");
      if (at + 1 + length > bytes.length) throw new DnsFormatError("label runs past the end");
      labels.push(Buffer.from(bytes.subarray(at + 1, at + 1 + length)).toString("latin1"));
      at += 1 + length;
    }
    this.offset = resumeAt ?? at;
    return labels;
  }

  get atEnd(): boolean {
    return this.offset === this.#bytes.length;
  }
}

function readRecord(reader: Reader): DnsRecord {
  const name = reader.name();
  const type = reader.u16("record type");
  const recordClass = reader.u16("record class");
  const ttl = reader.u32("record TTL");
  const length = reader.u16("record data length");
  return { name, type, class: recordClass, ttl, data: reader.take(length, "record data") };
}

/**
 * Decodes a whole message. Throws DnsFormatError for anything malformed
 * (never another error), including bytes after the last record.
 */
export function decodeMessage(bytes: Uint8Array): DnsMessage {
  const header = decodeHeader(bytes);
  if (!header) throw new DnsFormatError(`${bytes.length} bytes, shorter than a header`);
  const count = (index: number) => ((bytes[index] ?? 0) << 8) | (bytes[index + 1] ?? 0);
  const reader = new Reader(bytes);
  const questions: DnsQuestion[] = [];
  for (let index = 0; index < count(4); index += 1) {
    const name = reader.name();
    questions.push({
      name,
      type: reader.u16("question type"),
      class: reader.u16("question class"),
    });
  }
  const records = (total: number) => Array.from({ length: total }, () => readRecord(reader));
  const answers = records(count(6));
  const authority = records(count(8));
  const additional = records(count(10));
  if (!reader.atEnd) throw new DnsFormatError("bytes after the last record");
  return { header, questions, answers, authority, additional };
}

/** Thrown by the encoder for a name or label no DNS message can carry. */
export class DnsNameError extends RangeError {
  constructor(reason: string) {
    super(`DNS name: ${reason}`);
    this.name = "DnsNameError";
  }
}

function encodeName(labels: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, "latin1");
    if (bytes.length === 0 || bytes.length > MAX_LABEL_BYTES) {
      throw new DnsNameError(`a label must have 1..63 bytes, not ${bytes.length}`);
    }
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const name = Buffer.concat(parts);
  if (name.length > MAX_NAME_BYTES) throw new DnsNameError("longer than 255 bytes");
  return name;
}

function u16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(value & 0xffff);
  return bytes;
}

function encodeHeader(header: DnsHeader, counts: readonly number[]): Buffer {
  const flags =
    (header.qr ? 0x8000 : 0) |
    ((header.opcode & 0xf) << 11) |
    (header.aa ? 0x0400 : 0) |
    (header.tc ? 0x0200 : 0) |
    (header.rd ? 0x0100 : 0) |
    (header.ra ? 0x0080 : 0) |
    (header.rcode & 0xf);
  return Buffer.concat([u16(header.id), u16(flags), ...counts.map(u16)]);
}

function encodeQuestion(question: DnsQuestion): Buffer {
  return Buffer.concat([encodeName(question.name), u16(question.type), u16(question.class)]);
}

/** A pointer to the first question's name, which starts right after the header. */
const FIRST_QUESTION_POINTER = Buffer.from([0xc0, HEADER_BYTES]);

function sameName(a: readonly string[], b: readonly string[] | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((label, index) => label === b[index]);
}

/** A record; its name as a pointer when it is the first question's (answers usually are). */
function encodeRecord(record: DnsRecord, questionName?: readonly string[]): Buffer {
  const name =
    record.name.length > 0 && sameName(record.name, questionName)
      ? FIRST_QUESTION_POINTER
      : encodeName(record.name);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(record.type, 0);
  fixed.writeUInt16BE(record.class, 2);
  fixed.writeUInt32BE(record.ttl >>> 0, 4);
  fixed.writeUInt16BE(record.data.length, 8);
  return Buffer.concat([name, fixed, record.data]);
}

/**
 * Encodes a message. With `maxBytes`, answers and authority records that do
 * not fit are left out and the TC bit set; the question and the additional
 * records (the EDNS OPT) always stay.
 */
export function encodeMessage(message: DnsMessage, maxBytes = Number.POSITIVE_INFINITY): Buffer {
  const questions = message.questions.map(encodeQuestion);
  const questionName = message.questions[0]?.name;
  const additional = message.additional.map((record) => encodeRecord(record, questionName));
  let size =
    HEADER_BYTES + [...questions, ...additional].reduce((sum, part) => sum + part.length, 0);
  const fitting = (records: readonly DnsRecord[]) => {
    const kept: Buffer[] = [];
    for (const record of records) {
      const encoded = encodeRecord(record, questionName);
      if (size + encoded.length > maxBytes) break;
      size += encoded.length;
      kept.push(encoded);
    }
    return kept;
  };
  const answers = fitting(message.answers);
  const authority = answers.length === message.answers.length ? fitting(message.authority) : [];
  const truncated =
    answers.length < message.answers.length || authority.length < message.authority.length;
  const header = encodeHeader({ ...message.header, tc: message.header.tc || truncated }, [
    questions.length,
    answers.length,
    authority.length,
    additional.length,
  ]);
  return Buffer.concat([header, ...questions, ...answers, ...authority, ...additional]);
}

/** A name's labels in lower case, ASCII letters only (RFC 4343: DNS compares names so). */
export function lowerCaseName(labels: readonly string[]): string[] {
  return labels.map((label) => label.replace(/[A-Z]/g, (letter) => letter.toLowerCase()));
}

/** `printer.lan` → `["printer", "lan"]`; a trailing dot (the root) is allowed. */
export function nameLabels(name: string): string[] {
  return name.replace(/\.$/, "").split(".").filter(Boolean);
}
