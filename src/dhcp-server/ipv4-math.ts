/**
 * IPv4 arithmetic the DHCP server's checks and config need: addresses as
 * numbers (to compare and count), netmasks and prefix lengths. Inputs are
 * valid dotted quads (checked by the schema first).
 */

export function ipv4ToNumber(address: string): number {
  return address.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

export function numberToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** `24` → `255.255.255.0`. */
export function netmaskOf(prefixLength: number): string {
  return numberToIpv4(2 ** 32 - 2 ** (32 - prefixLength));
}

/** `255.255.255.0` → 24; undefined for a mask whose one bits are not contiguous. */
export function prefixLengthOfNetmask(netmask: string): number | undefined {
  const value = ipv4ToNumber(netmask);
  for (let prefixLength = 0; prefixLength <= 32; prefixLength += 1) {
    if (2 ** 32 - 2 ** (32 - prefixLength) === value) return prefixLength;
  }
  return undefined;
}

/** The first and last address of the subnet `address/prefixLength`, as numbers. */
export function subnetBounds(
  address: string,
  prefixLength: number,
): { first: number; last: number } {
  const size = 2 ** (32 - prefixLength);
  const first = Math.floor(ipv4ToNumber(address) / size) * size;
  return { first, last: first + size - 1 };
}
