/**
 * busybox udhcpd's lease file (networking/udhcp/dhcpd.c, write_leases): an
 * 8-byte big-endian Unix time of writing, then one 36-byte record per entry
 * of its lease table (struct dyn_lease):
 *
 *   uint32 expires     seconds left at the time of writing (0 once run out), big-endian
 *   uint32 lease_nip   the address, network byte order
 *   uint8  mac[6]
 *   char   hostname[20] NUL-terminated, sanitized by udhcpd to [0-9A-Za-z._-]
 *   uint8  pad[2]
 *
 * udhcpd rewrites the file in place (truncate, then write), so a reader may
 * see it half written: a partial last record is reported, never thrown.
 */

export const HEADER_BYTES = 8;
export const RECORD_BYTES = 36;
const HOSTNAME_BYTES = 20;

/** A client's lease, as published under `interface/<if>/dhcpd/leases`. */
export interface DhcpLease {
  /** Lower case, `02:00:00:00:00:01`. */
  mac: string;
  address: string;
  /** What the client called itself (DHCP option 12), when it did. */
  hostname?: string;
  /** ISO 8601, UTC. */
  expiresAt: string;
}

/** One entry of udhcpd's table, leased or not. */
export interface LeaseRecord extends DhcpLease {
  /** Seconds left when the file was written; 0 for a lease that ran out or was released. */
  remainingSeconds: number;
}

export interface LeaseFile {
  /** When udhcpd wrote the file, ISO 8601. */
  writtenAt: string;
  records: LeaseRecord[];
  /** Bytes after the last whole record: the file was read while udhcpd was writing it. */
  truncated: boolean;
}

export class LeaseFileError extends Error {
  constructor(reason: string) {
    super(`udhcpd lease file: ${reason}`);
    this.name = "LeaseFileError";
  }
}

/** The range of a JavaScript Date, in seconds. */
const MAX_DATE_SECONDS = 8.64e12;

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}

/**
 * The name up to its NUL, sanitized as udhcpd does (the file may come from
 * elsewhere): anything but letters, digits, `-` and `_` becomes a dot, and
 * so does a leading `-`.
 */
function hostnameOf(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  const raw = bytes.subarray(0, end === -1 ? bytes.length : end);
  return Array.from(raw, (byte, index) => {
    const char = String.fromCharCode(byte);
    return /[0-9A-Za-z_-]/.test(char) && !(index === 0 && char === "-") ? char : ".";
  }).join("");
}

/**
 * Reads a lease file's bytes. Throws LeaseFileError only when there is no
 * whole header (an empty file: udhcpd just truncated it) or its time is not one.
 */
export function parseLeaseFile(bytes: Uint8Array): LeaseFile {
  if (bytes.length < HEADER_BYTES) {
    throw new LeaseFileError(`${bytes.length} bytes, shorter than its ${HEADER_BYTES}-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const writtenSeconds = Number(view.getBigInt64(0));
  // Room for the longest lease after it (2^32 s), so every expiry is a Date too.
  if (Math.abs(writtenSeconds) > MAX_DATE_SECONDS - 2 ** 32) {
    throw new LeaseFileError(`written at ${writtenSeconds}, not a time`);
  }
  const records: LeaseRecord[] = [];
  let offset = HEADER_BYTES;
  for (; offset + RECORD_BYTES <= bytes.length; offset += RECORD_BYTES) {
    const remainingSeconds = view.getUint32(offset);
    const address = Array.from(bytes.subarray(offset + 4, offset + 8)).join(".");
    const mac = Array.from(bytes.subarray(offset + 8, offset + 14), hex).join(":");
    const hostname = hostnameOf(bytes.subarray(offset + 14, offset + 14 + HOSTNAME_BYTES));
    records.push({
      mac,
      address,
      ...(hostname === "" ? {} : { hostname }),
      expiresAt: new Date((writtenSeconds + remainingSeconds) * 1000).toISOString(),
      remainingSeconds,
    });
  }
  return {
    writtenAt: new Date(writtenSeconds * 1000).toISOString(),
    records,
    truncated: offset !== bytes.length,
  };
}

const NO_MAC = "00:00:00:00:00:00";

function addressOrder(a: DhcpLease, b: DhcpLease): number {
  const value = (lease: DhcpLease) =>
    lease.address.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
  return value(a) - value(b) || a.mac.localeCompare(b.mac);
}

/**
 * The leases clients hold at `now`, ordered by address: entries without a
 * MAC (addresses udhcpd keeps from everyone after a conflict or a decline)
 * and leases that ran out or were released are not leases.
 */
export function activeLeases(file: LeaseFile, now: Date): DhcpLease[] {
  const nowMs = now.getTime();
  return file.records
    .filter(
      (record) =>
        record.mac !== NO_MAC &&
        record.remainingSeconds > 0 &&
        Date.parse(record.expiresAt) > nowMs,
    )
    .map(({ remainingSeconds: _remaining, ...lease }) => lease)
    .sort(addressOrder);
}

/** When the first of these leases runs out, or undefined for none. */
export function nextExpiry(leases: readonly DhcpLease[]): Date | undefined {
  const times = leases.map((lease) => Date.parse(lease.expiresAt));
  return times.length === 0 ? undefined : new Date(Math.min(...times));
}
