/**
 * What statenet writes for pppd on a serial modem: the chat script that
 * dials the packet data context and the pppd options file. Semantics follow
 * VintageNetMobile's PPP modems: wake the modem with `+++`/AT, reset it,
 * set context 1 to the carrier's APN, dial `*99***1#`, hand over on CONNECT.
 *
 * Unlike VintageNet, pppd runs without `persist`: statenet supervises it. A
 * failed dial makes pppd exit and the mobile daemon retries with its
 * backoff; a hang-up after a working connection makes pppd exit and ppp0
 * vanish, and the interface machine configures the interface again, which
 * dials at once. One redial policy, statenet's, instead of two.
 */

/** A value pppd or chat would misread, named by its config field. */
export class PppConfigError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = "PppConfigError";
  }
}

export const APN_FIELD = "mobile.serviceProviders[0].apn";

/**
 * Characters an APN may have in the chat script. It goes inside an AT
 * string (`"…"`, no escapes in AT syntax) inside a chat word (`'…'`, where
 * chat reads `\` and `^` as escapes): nothing outside this set is safe in
 * both, and 3GPP APNs (TS 23.003) never need more.
 */
const CHAT_SAFE_APN = /^[A-Za-z0-9._-]+$/;

/** The chat script's AT+CGDCONT for this APN; throws PppConfigError for one chat or the modem would misread. */
export function contextCommand(apn: string): string {
  if (apn.length === 0) throw new PppConfigError(APN_FIELD, "must not be empty");
  if (apn.length > 100) throw new PppConfigError(APN_FIELD, "must be at most 100 characters");
  if (!CHAT_SAFE_APN.test(apn)) {
    throw new PppConfigError(
      APN_FIELD,
      "may hold only letters, digits, '.', '-' and '_' (it is written into an AT command)",
    );
  }
  return `AT+CGDCONT=1,"IP","${apn}"`;
}

export interface ChatScriptOptions {
  apn: string;
  /** Seconds chat waits for each answer (a modem registering answers slowly). */
  timeoutSeconds: number;
}

/**
 * The chat script: every send string quoted, so that AT strings with `"`,
 * `,` and `*` are one word each. ABORT on the modem's failure answers makes
 * a refused dial a quick exit instead of a timeout.
 */
export function chatScript({ apn, timeoutSeconds }: ChatScriptOptions): string {
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1) {
    throw new PppConfigError("mobile.modem.chatTimeoutSeconds", "must be a positive integer");
  }
  const lines = [
    "# Written by statenet for pppd's connect; changes are overwritten.",
    "ABORT 'BUSY'",
    "ABORT 'NO CARRIER'",
    "ABORT 'NO DIALTONE'",
    "ABORT 'NO ANSWER'",
    "ABORT 'ERROR'",
    `TIMEOUT ${timeoutSeconds}`,
    "REPORT CONNECT",
    // A modem left in data mode by a previous run needs +++ before it hears AT.
    "'' '+++'",
    "'' 'AT'",
    // Reset, then echo off (ATE0) so that answers are the modem's, not our own words.
    "OK 'ATZ'",
    "OK 'ATE0'",
    `OK '${contextCommand(apn)}'`,
    "OK 'ATD*99***1#'",
    "CONNECT ''",
  ];
  return `${lines.join("\n")}\n`;
}

/** A word of a pppd options file: quoted, with pppd's backslash escapes for `"` and `\`. */
export function pppdWord(text: string): string {
  if (/[\0\n\r]/.test(text)) throw new TypeError(`not a pppd option word: ${JSON.stringify(text)}`);
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

export interface PppdOptionsInput {
  ifname: string;
  device: string;
  speed: number;
  chatPath: string;
  /** The chat program; found on PATH by the shell pppd runs `connect` with. */
  chatProgram?: string | undefined;
}

/**
 * pppd's options file. The routes and DNS are statenet's: no
 * `defaultroute` (statenet adds the default route with the mobile metric),
 * `usepeerdns` only to ask the carrier for its DNS servers, which pppd logs
 * and statenet reads; the distribution's ip-up/ip-down hooks are replaced by
 * /bin/true so that none of them rewrites resolv.conf behind statenet.
 */
export function pppdOptions(input: PppdOptionsInput): string {
  const { ifname, device, speed, chatPath } = input;
  if (!device.startsWith("/") || /\s/.test(device)) {
    throw new PppConfigError("mobile.modem.device", "must be an absolute path without spaces");
  }
  const chat = input.chatProgram ?? "chat";
  // `connect` is run by /bin/sh -c: the script's path is quoted for the shell too.
  const shellQuoted = `'${chatPath.replaceAll("'", `'\\''`)}'`;
  const lines = [
    "# Written by statenet; changes are overwritten.",
    device,
    String(speed),
    `connect ${pppdWord(`${chat} -v -s -S -f ${shellQuoted}`)}`,
    // statenet supervises: pppd stays in the foreground and exits on a hang-up.
    "nodetach",
    "noauth",
    // The modem's serial port has no carrier line worth trusting; LCP notices a dead link.
    "local",
    // Only statenet uses the port; its pid record, not a lock file, keeps a second pppd away.
    "nolock",
    "nodefaultroute",
    "noipdefault",
    "usepeerdns",
    "noipv6",
    `ifname ${ifname}`,
    `linkname ${ifname}`,
    `ipparam ${ifname}`,
    "ip-up-script /bin/true",
    "ip-down-script /bin/true",
  ];
  return `${lines.join("\n")}\n`;
}
