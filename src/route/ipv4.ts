const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function isIpv4Address(value: string): boolean {
  const parts = value.split(".");
  return parts.length === 4 && parts.every((part) => OCTET.test(part));
}

export function isPrefixLength(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 32;
}

function toNumber(address: string): number {
  return address.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

function fromNumber(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** The network an address belongs to, in CIDR form: `192.0.2.10/24` → `192.0.2.0/24`. */
export function networkOf(address: string, prefixLength: number): string {
  const size = 2 ** (32 - prefixLength);
  const base = Math.floor(toNumber(address) / size) * size;
  return `${fromNumber(base)}/${prefixLength}`;
}

/** The subnet's broadcast address: `192.0.2.10/24` → `192.0.2.255`. */
export function broadcastOf(address: string, prefixLength: number): string {
  const size = 2 ** (32 - prefixLength);
  return fromNumber(Math.floor(toNumber(address) / size) * size + size - 1);
}
