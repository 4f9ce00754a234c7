/**
 * What wpa_supplicant's output says about the port's authentication. It
 * prints its control events (`eth0: CTRL-EVENT-EAP-SUCCESS ...`) on standard
 * output at the default level, which is all the manager needs from it on a
 * wire; no control socket.
 */

/** The port's 802.1X state, as published in `interface/<if>/eap/state`. */
export type EapState = "starting" | "authenticating" | "authorized" | "failed";

export interface SupplicantEvent {
  state: EapState;
  /** Why, for the log: the event's own text (never a secret: wpa_supplicant does not print them at this level). */
  detail: string;
}

const STATE_OF_EVENT: Readonly<Record<string, EapState>> = {
  "EAP-STARTED": "authenticating",
  "EAP-SUCCESS": "authorized",
  CONNECTED: "authorized",
  "EAP-FAILURE": "failed",
  "EAP-TIMEOUT-FAILURE": "failed",
  // The server's certificate was refused (wrong CA, wrong domain): the exchange stops here.
  "EAP-TLS-CERT-ERROR": "failed",
  DISCONNECTED: "starting",
};

// `s`: the text after the event name can come from the network (a certificate's subject), and
// without it a U+2028 in there would hide the event.
const EVENT = /^(?<ifname>[^\s:]+): CTRL-EVENT-(?<name>[A-Z0-9-]+)\b ?(?<rest>.*)$/s;

/** The state change a line announces for `ifname`; undefined for any other line. */
export function parseSupplicantLine(ifname: string, line: string): SupplicantEvent | undefined {
  const match = EVENT.exec(line.trim());
  if (!match?.groups || match.groups.ifname !== ifname) return undefined;
  const state = STATE_OF_EVENT[match.groups.name ?? ""];
  if (state === undefined) return undefined;
  return { state, detail: `${match.groups.name} ${match.groups.rest ?? ""}`.trim() };
}

/**
 * Whether the switch port passes traffic once wpa_supplicant announced
 * `state`, given whether it did before: a reauthentication of an open port
 * keeps it open.
 */
export function portOpenAfter(state: EapState, wasOpen: boolean): boolean {
  return state === "authorized" || (state === "authenticating" && wasOpen);
}
