import { assertInterfaceName } from "../linux/interface-name.js";

/**
 * The control socket's protocol: JSON lines, one request per line, one reply
 * line per request, in order; `subscribe` is then followed by one
 * `{"event":"change",…}` line per change until the client hangs up.
 * Requests carry an optional `id` that the reply repeats. A request may take
 * a while (`wifi_scan` waits for the scan's results, up to 30 s): the server
 * works on every request as it arrives, so a slow one holds back only the
 * replies after it on its own connection.
 */

export const CONTROL_SOCKET_NAME = "control.sock";

type Id = { id?: string | number };

export type ControlRequest = Id &
  (
    | {
        command: "info";
        /** false shows secrets; only to a caller known to be root (see server.ts). */
        redact?: boolean;
      }
    | { command: "status" }
    | {
        command: "get";
        key: string[];
        /** true: a TimestampedReply instead of the bare value. */
        withTimestamp?: boolean;
        /** true: every property at or under `key`, as PropertyEntry[] (the CLI's `get`). */
        tree?: boolean;
      }
    /** The reply's result: the properties under the prefix now (PropertyEntry[]); changes follow. */
    | { command: "subscribe"; prefix: string[] }
    | { command: "configure"; ifname: string; config: unknown }
    | { command: "deconfigure"; ifname: string }
    | { command: "reset"; ifname: string }
    | { command: "force_reset"; ifname: string }
    | { command: "reload" }
    | { command: "wifi_scan"; ifname: string }
  );

/**
 * `code` says the failure is the client's: `bad_request`, the line is no
 * request; `bad_input`, a request to change (a configuration that does not
 * validate); `unavailable`, the interface runs nothing that serves the
 * request (`wifi_scan` of an Ethernet one, or of WiFi that is down);
 * `forbidden`, a request to change sent where only reading is allowed (the
 * `controlGroup` socket, whose callers need not be root). Without
 * a code, the request failed otherwise (the daemon's failure, or a refusal
 * such as `deconfigure` of an interface nothing configures).
 */
export type ControlReply =
  | { id?: string | number; ok: true; result?: unknown }
  | {
      id?: string | number;
      ok: false;
      error: string;
      code?: ControlErrorCode;
    };

export type ControlErrorCode = "bad_request" | "bad_input" | "unavailable" | "forbidden";

/** A property with how long ago it was set when the daemon answered (`get` with `tree`, `subscribe`). */
export interface PropertyEntry extends TimestampedReply {
  key: string[];
}

/**
 * A property change streamed to a subscriber, with the daemon's monotonic
 * stamps (PropertyTimestamp): comparable with each other and with `get`'s,
 * within one run of the daemon. `oldTimestamp` is null for a new key.
 */
export interface ControlChange {
  event: "change";
  key: string[];
  value: unknown;
  oldTimestamp: number | null;
  newTimestamp: number;
}

/** `get` with `withTimestamp`: null when the key is unset. */
export interface TimestampedReply {
  value: unknown;
  /** When the value was set, on the daemon's monotonic clock (PropertyTimestamp). */
  timestamp: number;
  /** How long ago that was when the daemon answered: what a person wants to know. */
  ageMs: number;
}

export class ControlRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ControlRequestError";
  }
}

export const CONTROL_COMMANDS = [
  "info",
  "status",
  "get",
  "subscribe",
  "configure",
  "deconfigure",
  "reset",
  "force_reset",
  "reload",
  "wifi_scan",
] as const;

function optionalBoolean(value: unknown, field: string): { [name: string]: boolean } {
  if (value === undefined) return {};
  if (typeof value !== "boolean") throw new ControlRequestError(`${field} must be true or false`);
  return { [field]: value };
}

function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw new ControlRequestError(`${field} must be a list of strings`);
  }
  return value;
}

/** Checked here, so that a bad name is the client's error (`bad_request`), not the daemon's. */
function interfaceName(value: unknown): string {
  if (typeof value !== "string") throw new ControlRequestError("ifname must be an interface name");
  try {
    assertInterfaceName(value);
  } catch (error) {
    throw new ControlRequestError(`ifname must be an interface name: ${(error as Error).message}`);
  }
  return value;
}

/** 1e400 parses as Infinity, which the reply would carry back as null. */
function isId(value: unknown): value is string | number {
  return typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

/**
 * The commands that only read: served on the `controlGroup` socket too, and
 * logged at debug (a status poller must not fill the log); the others change
 * the daemon and are logged at info.
 */
export const READ_ONLY_COMMANDS: ReadonlySet<ControlRequest["command"]> = new Set([
  "info",
  "status",
  "get",
  "subscribe",
  "wifi_scan",
]);

/** Checks one request line; throws ControlRequestError saying what is wrong. */
export function parseControlRequest(line: string): ControlRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ControlRequestError("request is not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ControlRequestError("request is not a JSON object");
  }
  const fields = value as Record<string, unknown>;
  const { id, command } = fields;
  if (id !== undefined && !isId(id)) {
    throw new ControlRequestError("id must be a string or a number (a finite one)");
  }
  const withId = id === undefined ? {} : { id };
  switch (command) {
    case "info":
      return { ...withId, command, ...optionalBoolean(fields.redact, "redact") };
    case "reload":
    case "status":
      return { ...withId, command };
    case "get":
      return {
        ...withId,
        command,
        key: stringList(fields.key, "key"),
        ...optionalBoolean(fields.withTimestamp, "withTimestamp"),
        ...optionalBoolean(fields.tree, "tree"),
      };
    case "subscribe":
      return { ...withId, command, prefix: stringList(fields.prefix, "prefix") };
    case "configure":
      if (fields.config === undefined) throw new ControlRequestError("config is missing");
      return { ...withId, command, ifname: interfaceName(fields.ifname), config: fields.config };
    case "deconfigure":
    case "reset":
    case "force_reset":
    case "wifi_scan":
      return { ...withId, command, ifname: interfaceName(fields.ifname) };
    default:
      throw new ControlRequestError(`unknown command; known: ${CONTROL_COMMANDS.join(", ")}`);
  }
}

/** The `id` of a line that may not parse, for the error reply. */
export function requestId(line: string): string | number | undefined {
  try {
    const { id } = JSON.parse(line) as { id?: unknown };
    return isId(id) ? id : undefined;
  } catch {
    return undefined;
  }
}
