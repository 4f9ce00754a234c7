import { readFile } from "node:fs/promises";
import { describeReload, type ReloadResult } from "../config/reload.js";
import { ControlConnectionError, type ControlStream, controlStream } from "../control/client.js";
import type { ConfigChangeResult } from "../control/handler.js";
import type {
  ControlChange,
  ControlErrorCode,
  ControlReply,
  ControlRequest,
  PropertyEntry,
} from "../control/protocol.js";
import { assertInterfaceName } from "../linux/interface-name.js";
import type { NetworkManagerInfo } from "../network-manager.js";
import type { AccessPoint } from "../technologies/wifi/wpa-events.js";
import { terminalJson, terminalText } from "../terminal-text.js";
import { colourFor } from "./colour.js";
import { controlSocketOf, groupSocketBeside } from "./control-socket-path.js";
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK } from "./exit-codes.js";
import {
  describeAge,
  infoPage,
  networkStatus,
  snakeKeys,
  statusPage,
  table,
} from "./status-page.js";
import { accessPointTable } from "./wifi-table.js";

/**
 * The CLI commands that talk to a running daemon over its control socket:
 * info, status, get, subscribe, configure, deconfigure, reset, force-reset,
 * reload, wifi scan. Human output by default (colour on a terminal only, see
 * colour.ts), JSON with --json:
 *
 * - A result is printed bare, one JSON document: the daemon's structures with
 *   snake_case keys, as the properties spell theirs (`info`: `lower_up`,
 *   `available_interfaces`, `config_source`...; `status`: NetworkStatus);
 *   configurations and property values as they are (a configuration reads
 *   as the file and `configure` take it). `get KEY` is the value; `get
 *   PREFIX` an object of every key under it (`{"interface/eth0/state":…}`);
 *   `--timestamp` makes each value `{value, timestamp, age_ms, set_at}`.
 *   `configure`, `deconfigure` and `reset` give `{ifname, changed, config}`
 *   (the configuration afterwards, secrets masked; null when none), `force-reset`
 *   `{ifname, power_cycle}`, `reload` `{applied, kept_runtime,
 *   applied_settings, needs_restart}`.
 * - `subscribe` prints one line per property: the current values under the
 *   prefix first, then each change, `{"event":"current"|"change","time":ISO,
 *   "key":"interface/eth0/state","value":…}` (the time a current value was
 *   set, or a change arrived); in text `HH:MM:SS.mmm key value`.
 * - A failure is `{"ok":false,"error":{"code":…,"message":…}}` on stdout
 *   (nothing on stderr); the exit code is the same as without --json: 2 for
 *   the caller's mistake (`bad_usage`, and the daemon's `bad_request`,
 *   `bad_input`, `unavailable`, `forbidden`), 1 otherwise (`not_found`: `get`
 *   found nothing; `unreachable`: no daemon; `failed`: the daemon's failure).
 */

export interface ControlCommandOptions {
  command: string;
  args: readonly string[];
  /** The daemon's configuration file: its tmpDir holds the control socket. */
  configPath?: string | undefined;
  socketPath?: string | undefined;
  json: boolean;
  /** `info --show-secrets`: configurations with their secrets; root only (see SecretsRefusedError). */
  showSecrets?: boolean | undefined;
  /** `get --timestamp`: the value with when it was set and how long ago. */
  withTimestamp?: boolean | undefined;
}

class BadInput extends Error {}

const REPLY_TIMEOUT_MS = 10_000;
/** The daemon gives up on a scan after 30 s and says so: its words must arrive before the CLI gives up. */
const SCAN_REPLY_TIMEOUT_MS = 45_000;

const print = (text: string) => process.stdout.write(`${text}\n`);

function oneInterface(args: readonly string[], command: string): string {
  const [ifname, ...extra] = args;
  if (ifname === undefined || extra.length > 0) throw new BadInput(`${command} needs one IFNAME`);
  assertInterfaceName(ifname);
  return ifname;
}

/** `interface/eth0/state` or `interface eth0 state`: the key as segments. */
const keyOf = (args: readonly string[]) => args.flatMap((arg) => arg.split("/")).filter(Boolean);

async function configArgument(args: readonly string[]): Promise<unknown> {
  const text = args[1];
  if (text === undefined || args.length > 2) {
    throw new BadInput("configure needs IFNAME and a JSON config (or @FILE)");
  }
  const json = text.startsWith("@") ? await readFile(text.slice(1), "utf8") : text;
  try {
    return JSON.parse(json);
  } catch (error) {
    throw new BadInput(`the config is not JSON: ${(error as Error).message}`);
  }
}

/**
 * The daemon decides (only a root daemon knows its callers are root); this
 * says so before anything is sent, where the answer is sure to be no.
 */
function assertMayShowSecrets(): void {
  if (process.geteuid?.() !== 0) throw new BadInput("--show-secrets needs root");
}

async function requestOf(
  options: ControlCommandOptions,
  command: string,
  args: readonly string[],
): Promise<ControlRequest> {
  if (options.showSecrets && command !== "info") {
    throw new BadInput("--show-secrets is an option of info only");
  }
  if (options.withTimestamp && command !== "get") {
    throw new BadInput("--timestamp is an option of get only");
  }
  switch (command) {
    case "info":
      if (args.length > 0) throw new BadInput("info takes no arguments");
      if (!options.showSecrets) return { command: "info" };
      assertMayShowSecrets();
      return { command: "info", redact: false };
    case "status":
      if (args.length > 0) throw new BadInput("status takes no arguments");
      return { command: "status" };
    case "get":
      if (args.length === 0) throw new BadInput("get needs a KEY");
      return { command: "get", key: keyOf(args), tree: true };
    case "subscribe":
      return { command: "subscribe", prefix: keyOf(args) };
    case "configure":
      return {
        command: "configure",
        ifname: oneInterface(args.slice(0, 1), command),
        config: await configArgument(args),
      };
    case "deconfigure":
      return { command: "deconfigure", ifname: oneInterface(args, command) };
    case "reset":
      return { command: "reset", ifname: oneInterface(args, command) };
    case "force-reset":
      return { command: "force_reset", ifname: oneInterface(args, command) };
    case "reload":
      if (args.length > 0) throw new BadInput("reload takes no arguments");
      return { command: "reload" };
    case "wifi scan":
      return { command: "wifi_scan", ifname: oneInterface(args, command) };
    default:
      throw new BadInput(`unknown command "${command}"`);
  }
}

/** The CLI's error codes beside the daemon's (ControlErrorCode). */
type CliErrorCode = ControlErrorCode | "bad_usage" | "not_found" | "unreachable" | "failed";

class NotFound extends Error {}

/** `interface/eth0/state`: a key as the CLI writes it. */
const keyText = (key: readonly string[]) => key.join("/");

/** A value on one line, safe on a terminal. */

/** ISO time of day, local: when a property was set, or a change arrived. */
export function timeOfDay(at: Date): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, "0");
  return `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}.${pad(at.getMilliseconds(), 3)}`;
}

/**
 * `get KEY`: the value of the key itself, or, when KEY is a prefix, every
 * property under it; nothing at all is NotFound (exit 1).
 */
export function showEntries(
  key: readonly string[],
  entries: readonly PropertyEntry[],
  options: { json: boolean; withTimestamp: boolean; now: Date },
): string {
  if (entries.length === 0) throw new NotFound(`no property ${keyText(key) || "(root)"}`);
  const exact = entries.length === 1 && keyText(entries[0]?.key ?? []) === keyText(key);
  const setAt = (entry: PropertyEntry) => new Date(options.now.getTime() - entry.ageMs);
  if (options.json) {
    const shown = (entry: PropertyEntry) =>
      options.withTimestamp
        ? {
            value: entry.value,
            timestamp: entry.timestamp,
            age_ms: entry.ageMs,
            set_at: setAt(entry).toISOString(),
          }
        : entry.value;
    if (exact && entries[0]) return terminalJson(shown(entries[0]));
    return terminalJson(
      Object.fromEntries(entries.map((entry) => [keyText(entry.key), shown(entry)])),
    );
  }
  const age = (entry: PropertyEntry) =>
    options.withTimestamp ? `(set ${describeAge(entry.ageMs)} ago)` : "";
  if (exact && entries[0]) {
    const value = terminalText(JSON.stringify(entries[0].value, null, 2) ?? "null");
    return options.withTimestamp ? `${value}\n${age(entries[0])}` : value;
  }
  return table(
    entries.map((entry) => {
      const row = [terminalText(keyText(entry.key)), terminalJson(entry.value)];
      return options.withTimestamp ? [...row, age(entry)] : row;
    }),
  ).join("\n");
}

/** One line of `subscribe`: a current value (`current`, with when it was set) or a change. */
export function subscriptionLine(
  event: "current" | "change",
  key: readonly string[],
  value: unknown,
  at: Date,
  json: boolean,
): string {
  if (json) {
    return terminalJson({ event, time: at.toISOString(), key: keyText(key), value: value ?? null });
  }
  return `${timeOfDay(at)} ${terminalText(keyText(key))} ${terminalJson(value)}`;
}

function showConfigChange(result: ConfigChangeResult, done: string): string {
  return result.changed ? `${result.ifname}: ${done}` : `${result.ifname}: ${done} (no change)`;
}

/**
 * The JSON of a result: the daemon's own structures with snake_case keys,
 * as the properties spell theirs; configurations and property values as they are.
 */
function jsonOf(command: string, result: unknown, now: Date): string {
  switch (command) {
    case "status":
      return terminalJson(networkStatus(result as NetworkManagerInfo, now));
    case "info":
    case "reload":
    case "wifi scan":
    case "configure":
    case "deconfigure":
    case "reset":
    case "force-reset":
      return terminalJson(snakeKeys(result ?? null));
    default:
      return terminalJson(result ?? null);
  }
}

/** A terminal's columns (80 when it does not say); none for a pipe, which keeps one line per row. */
function terminalWidth(): number {
  if (!process.stdout.isTTY) return Number.POSITIVE_INFINITY;
  return process.stdout.columns || 80;
}

function show(command: string, result: unknown, now: Date): string {
  const colour = colourFor(process.stdout);
  switch (command) {
    case "info":
      return infoPage(result as NetworkManagerInfo, now, colour);
    case "status":
      return statusPage(networkStatus(result as NetworkManagerInfo, now), colour, terminalWidth());
    case "configure":
      return showConfigChange(result as ConfigChangeResult, "configured");
    case "deconfigure":
      return showConfigChange(result as ConfigChangeResult, "deconfigured");
    case "reset":
      return showConfigChange(result as ConfigChangeResult, "back to its default configuration");
    case "force-reset":
      return `${(result as { ifname: string }).ifname}: power cycle started`;
    case "reload":
      return describeReload(result as ReloadResult);
    case "wifi scan":
      return accessPointTable(result as AccessPoint[]);
    default:
      return terminalJson(result ?? null);
  }
}

/**
 * A failure: on stderr for a person; with --json, on stdout as
 * `{"ok":false,"error":{"code":…,"message":…}}`, so that a script reads one
 * stream. The exit code says the same either way.
 */
function fail(json: boolean, code: CliErrorCode, message: string, exitCode: number): number {
  if (json) print(terminalJson({ ok: false, error: { code, message } }));
  else process.stderr.write(`statenet: ${message}\n`);
  return exitCode;
}

/**
 * The reply, from the private socket, or, for a caller it refuses (EACCES:
 * not root), from the `controlGroup` socket beside it when there is one:
 * that one serves reading, and says so to a request that changes.
 */
async function connect(
  socketPath: string,
  request: ControlRequest,
  onMessage: (message: unknown) => void,
): Promise<{ stream: ControlStream; reply: ControlReply }> {
  const timeout = request.command === "wifi_scan" ? SCAN_REPLY_TIMEOUT_MS : REPLY_TIMEOUT_MS;
  const stream = controlStream(socketPath, request, onMessage, timeout);
  try {
    return { stream, reply: await stream.reply };
  } catch (error) {
    if (!(error instanceof ControlConnectionError && error.code === "EACCES")) {
      throw error;
    }
    const group = controlStream(groupSocketBeside(socketPath), request, onMessage, timeout);
    try {
      return { stream: group, reply: await group.reply };
    } catch (groupError) {
      // No group socket, or not in its group: the first refusal says what to do (be root).
      if (groupError instanceof ControlConnectionError) throw error;
      throw groupError;
    }
  }
}

export async function runControlCommand(options: ControlCommandOptions): Promise<number> {
  const { command, args, json } = options;
  let request: ControlRequest;
  let socketPath: string;
  try {
    request = await requestOf(options, command, args);
    socketPath = options.socketPath ?? (await controlSocketOf(options.configPath));
  } catch (error) {
    // Bad arguments, an unreadable @FILE or configuration file: nothing was sent.
    return fail(json, "bad_usage", (error as Error).message, EXIT_BAD_INPUT);
  }
  // Changes that come before the reply (the current values) wait for it: they print after.
  let subscribed = false;
  const early: unknown[] = [];
  const printChange = (message: unknown) => {
    const change = message as ControlChange;
    print(subscriptionLine("change", change.key, change.value, new Date(), json));
  };
  let connection: { stream: ControlStream; reply: ControlReply };
  try {
    connection = await connect(socketPath, request, (message) =>
      subscribed ? printChange(message) : early.push(message),
    );
  } catch (error) {
    if (!(error instanceof ControlConnectionError)) throw error;
    return fail(json, "unreachable", error.message, EXIT_FAILURE);
  }
  const { stream, reply } = connection;
  if (!reply.ok) {
    stream.close();
    const exitCode = reply.code === undefined ? EXIT_FAILURE : EXIT_BAD_INPUT;
    return fail(json, reply.code ?? "failed", reply.error, exitCode);
  }
  const now = new Date();
  if (request.command === "get") {
    stream.close();
    try {
      const entries = reply.result as PropertyEntry[];
      const withTimestamp = options.withTimestamp === true;
      print(showEntries(request.key, entries, { json, withTimestamp, now }));
      return EXIT_OK;
    } catch (error) {
      if (!(error instanceof NotFound)) throw error;
      return fail(json, "not_found", error.message, EXIT_FAILURE);
    }
  }
  if (request.command !== "subscribe") {
    stream.close();
    print(json ? jsonOf(command, reply.result, now) : show(command, reply.result, now));
    return EXIT_OK;
  }
  for (const entry of (reply.result as PropertyEntry[] | undefined) ?? []) {
    const setAt = new Date(now.getTime() - entry.ageMs);
    print(subscriptionLine("current", entry.key, entry.value, setAt, json));
  }
  if (!json) print("subscribed; changes follow (Ctrl-C ends)");
  subscribed = true;
  for (const message of early.splice(0)) printChange(message);
  // Streams until Ctrl-C or the daemon goes away.
  const interrupted = new Promise<void>((resolve) => {
    process.on("SIGINT", () => resolve());
    process.on("SIGTERM", () => resolve());
  });
  await Promise.race([interrupted, stream.closed]);
  stream.close();
  return EXIT_OK;
}
