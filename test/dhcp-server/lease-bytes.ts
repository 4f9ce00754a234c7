/**
 * Lease files as busybox udhcpd writes them (see src/dhcp-server/leases.ts),
 * for tests: real captures and an encoder for made-up ones.
 */

/**
 * Written by busybox 1.35.0 udhcpd (Debian 12) serving 192.0.2.10..50 with a
 * static lease 02:00:00:00:00:01 → 192.0.2.5, after two busybox udhcpc
 * clients (`-x hostname:client-one`, `-x hostname:client-two`) got a
 * one-day lease each; `busybox dumpleases -a -d` printed expiries
 * 1796258642 (client-two) and 1796258640 (client-one).
 */
export const TWO_CLIENTS = Buffer.from(
  "000000006b0f69da" +
    "00015178c000020a020000000002636c69656e742d74776f000000000000000000000000" +
    "00015176c0000205020000000001636c69656e742d6f6e65000000000000000000000000",
  "hex",
);

/** The same server restarted: one client, no host name (dumpleases: expires 1796258653). */
export const ONE_CLIENT_NO_NAME = Buffer.from(
  "000000006b0f6a11" + "0001514cc000020a02000000000200000000000000000000000000000000000000000000",
  "hex",
);

export interface RawLease {
  remainingSeconds: number;
  address: string;
  mac: string;
  hostname?: string;
}

export function encodeLeaseFile(writtenAtSeconds: number, leases: readonly RawLease[]): Buffer {
  const buffer = Buffer.alloc(8 + 36 * leases.length);
  buffer.writeBigInt64BE(BigInt(writtenAtSeconds), 0);
  leases.forEach((lease, index) => {
    const offset = 8 + 36 * index;
    buffer.writeUInt32BE(lease.remainingSeconds, offset);
    lease.address.split(".").forEach((part, byte) => {
      buffer[offset + 4 + byte] = Number(part);
    });
    lease.mac.split(":").forEach((part, byte) => {
      buffer[offset + 8 + byte] = Number.parseInt(part, 16);
    });
    buffer.write((lease.hostname ?? "").slice(0, 19), offset + 14, "latin1");
  });
  return buffer;
}
