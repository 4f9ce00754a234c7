/**
 * What busybox udhcpc (1.35) knows about DHCP options: the names it accepts
 * for `-O` and uses for its script's variables, and the host names it sends.
 * An option it has no name for reaches the script as `opt<code>` in hex.
 */

/** udhcpc's option names and their codes (busybox networking/udhcp/common.c). */
export const UDHCPC_OPTION_CODES = {
  subnet: 1,
  timezone: 2,
  router: 3,
  dns: 6,
  lprsrv: 9,
  hostname: 12,
  bootsize: 13,
  domain: 15,
  swapsrv: 16,
  rootpath: 17,
  ipttl: 23,
  mtu: 26,
  broadcast: 28,
  routes: 33,
  nisdomain: 40,
  nissrv: 41,
  ntpsrv: 42,
  wins: 44,
  lease: 51,
  serverid: 54,
  message: 56,
  vendor: 60,
  tftp: 66,
  bootfile: 67,
  tzstr: 100,
  tzdbstr: 101,
  search: 119,
  sipsrv: 120,
  staticroutes: 121,
  vlanid: 132,
  vlanpriority: 133,
  pxeconffile: 209,
  pxepathprefix: 210,
  reboottime: 211,
  ip6rd: 212,
  msstaticroutes: 249,
  wpad: 252,
} as const;

export type UdhcpcOptionName = keyof typeof UDHCPC_OPTION_CODES;

export const UDHCPC_OPTION_NAMES = Object.keys(UDHCPC_OPTION_CODES) as [
  UdhcpcOptionName,
  ...UdhcpcOptionName[],
];

/** An option to ask the server for: udhcpc's name for it, or its code (0 and 255 are framing). */
export type DhcpRequestOption = UdhcpcOptionName | number;

export const MIN_OPTION_CODE = 1;
export const MAX_OPTION_CODE = 254;

function isOptionName(option: string): option is UdhcpcOptionName {
  return Object.hasOwn(UDHCPC_OPTION_CODES, option);
}

/** The option's code, or undefined for a name udhcpc does not know (it would exit on it) or a code out of range. */
export function dhcpOptionCode(option: string | number): number | undefined {
  if (typeof option === "string")
    return isOptionName(option) ? UDHCPC_OPTION_CODES[option] : undefined;
  return Number.isInteger(option) && option >= MIN_OPTION_CODE && option <= MAX_OPTION_CODE
    ? option
    : undefined;
}

const NAMES_BY_CODE = new Map<number, string>(
  Object.entries(UDHCPC_OPTION_CODES).map(([name, code]) => [code, name]),
);

/** The variable udhcpc gives its script for an option: its name, or `opt<code>`. */
export function udhcpcVariableOf(code: number): string {
  return NAMES_BY_CODE.get(code) ?? `opt${code}`;
}

/**
 * A host name as DHCP clients send it in practice: letters, digits, `-` and
 * `_` in dot-separated labels of at most 63 characters, no leading hyphen
 * (udhcpc refuses one from a server: a script could take it for a flag), and
 * at most 254 characters, all udhcpc puts into option 12 (it cuts a longer
 * one silently). A regex, so the JSON Schema carries the same rule.
 */
export const DHCP_HOSTNAME = /^(?=.{1,254}$)(?!-)[A-Za-z0-9_-]{1,63}(\.[A-Za-z0-9_-]{1,63})*$/;

export function isDhcpHostname(name: string): boolean {
  return DHCP_HOSTNAME.test(name);
}
