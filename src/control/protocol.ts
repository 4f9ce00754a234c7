/**
 * The control socket's protocol: JSON lines, one request per line, one reply
 * line per request, in order. Requests carry an optional `id` that the reply
 * repeats.
 */

export const CONTROL_SOCKET_NAME = "control.sock";

export type ControlRequest = { id?: string | number } & {
  command: "force_reset";
  ifname: string;
};

export type ControlReply =
  | { id?: string | number; ok: true; result?: unknown }
  | { id?: string | number; ok: false; error: string };

export class ControlRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ControlRequestError";
  }
}

const COMMANDS = ["force_reset"] as const;

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
  const { id, command, ifname } = value as Record<string, unknown>;
  if (id !== undefined && typeof id !== "string" && typeof id !== "number") {
    throw new ControlRequestError("id must be a string or a number");
  }
  if (!(COMMANDS as readonly unknown[]).includes(command)) {
    throw new ControlRequestError(`unknown command; known: ${COMMANDS.join(", ")}`);
  }
  if (typeof ifname !== "string" || ifname === "") {
    throw new ControlRequestError("ifname must be an interface name");
  }
  return { ...(id === undefined ? {} : { id }), command: "force_reset", ifname };
}

/** The `id` of a line that may not parse, for the error reply. */
export function requestId(line: string): string | number | undefined {
  try {
    const { id } = JSON.parse(line) as { id?: unknown };
    return typeof id === "string" || typeof id === "number" ? id : undefined;
  } catch {
    return undefined;
  }
}
