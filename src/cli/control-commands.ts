import { readFile } from "node:fs/promises";
import type { UnmanagedDefaultRoute } from "../../machines/route-manager.js";
import { describeConfigSource } from "../config/config-source.js";
import { describeReload, type ReloadResult } from "../config/reload.js";
import { ControlConnectionError, controlStream } from "../control/client.js";
import type {
  ControlChange,
  ControlReply,
  ControlRequest,
  TimestampedReply,
} from "../control/protocol.js";
import { assertInterfaceName } from "../linux/interface-name.js";
import type { RouteError } from "../linux/route-manager.js";
import type { NetworkManagerInfo } from "../network-manager.js";
import type { AccessPoint } from "../technologies/wifi/wpa-events.js";
import { controlSocketOf } from "./control-socket-path.js";
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK } from "./exit-codes.js";
import { terminalJson } from "./terminal-text.js";
import { accessPointTable } from "./wifi-table.js";

/**
 * The CLI commands that talk to a running daemon over its control socket:
 * info, get, subscribe, configure, deconfigure, reset, force-reset, reload,
 * wifi scan. Human output by default, JSON with --json.
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
    case "get":
      if (args.length === 0) throw new BadInput("get needs a KEY");
      return options.withTimestamp
        ? { command: "get", key: keyOf(args), withTimestamp: true }
        : { command: "get", key: keyOf(args) };
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

/** Routes the kernel refused, and others' default routes that decide where traffic goes. */
function routeLines(info: NetworkManagerInfo): string[] {
  const lines: string[] = [];
  const errors = Array.isArray(info.routeErrors) ? (info.routeErrors as RouteError[]) : [];
  for (const { command, error } of errors) {
    lines.push(`route refused: ${command ? `${command}: ` : ""}${error}`);
  }
  const unmanaged = Array.isArray(info.unmanagedDefaultRoutes)
    ? (info.unmanagedDefaultRoutes as UnmanagedDefaultRoute[])
    : [];
  for (const { ifname, gateway, metric, outranks } of unmanaged) {
    const route = `default${gateway ? ` via ${gateway}` : ""} dev ${ifname} metric ${metric}`;
    lines.push(
      `not managed: ${route}${outranks ? " (outranks statenet's default route: traffic follows it)" : ""}`,
    );
  }
  return lines;
}

function showInfo(info: NetworkManagerInfo): string {
  const order = Array.isArray(info.availableInterfaces) ? info.availableInterfaces.join(" > ") : "";
  const lines = [
    `connection: ${String(info.connection ?? "disconnected")}`,
    `route order: ${order || "(none)"}`,
    `name servers: ${JSON.stringify(info.nameServers ?? [])}`,
    ...routeLines(info),
  ];
  for (const [ifname, entry] of Object.entries(info.interfaces)) {
    const addresses = Array.isArray(entry.addresses)
      ? entry.addresses
          .map((address: { address?: string; prefixLength?: number; family?: string }) =>
            address.family === "inet" ? `${address.address}/${address.prefixLength}` : "",
          )
          .filter(Boolean)
          .join(" ")
      : "";
    lines.push(
      "",
      `${ifname}: ${entry.type ?? "unmanaged"}, ${String(entry.state ?? "-")}, ${String(entry.connection ?? "-")}${addresses ? `, ${addresses}` : ""}`,
    );
    if (entry.config) lines.push(`  config: ${JSON.stringify(entry.config)}`);
    if (entry.configSource) {
      lines.push(
        `  config from: ${describeConfigSource(entry.configSource, entry.config !== undefined)}`,
      );
    }
    if (entry.eap !== undefined) lines.push(`  802.1X: ${String(entry.eap)}`);
    if (entry.power) {
      const left =
        entry.power.timeLeftMs === null
          ? ""
          : ` (${Math.round(entry.power.timeLeftMs / 1000)} s left)`;
      lines.push(
        `  power: ${String(entry.power.state)}${left}, ${String(entry.power.cycles)} cycles`,
      );
    }
  }
  return lines.join("\n");
}

/** The value, then since when it holds: the daemon's stamp means nothing here, its age does. */
function showTimestamped(reply: TimestampedReply | null): string {
  if (reply === null) return "null";
  return `${JSON.stringify(reply.value, null, 2)}\n(set ${describeAge(reply.ageMs)} ago)`;
}

/** 850 ms, 12.3 s, 4 min 05 s, 3 h 02 min, 2 d 5 h: as VintageNet's info says "since". */
export function describeAge(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const seconds = Math.floor(ms / 1_000);
  const pad = (value: number) => String(value).padStart(2, "0");
  if (seconds < 3_600) return `${Math.floor(seconds / 60)} min ${pad(seconds % 60)} s`;
  if (seconds < 86_400) {
    return `${Math.floor(seconds / 3_600)} h ${pad(Math.floor(seconds / 60) % 60)} min`;
  }
  return `${Math.floor(seconds / 86_400)} d ${Math.floor(seconds / 3_600) % 24} h`;
}

function show(
  command: string,
  args: readonly string[],
  request: ControlRequest,
  reply: ControlReply & { ok: true },
): string {
  switch (command) {
    case "info":
      return showInfo(reply.result as NetworkManagerInfo);
    case "get":
      return "withTimestamp" in request && request.withTimestamp
        ? showTimestamped(reply.result as TimestampedReply | null)
        : JSON.stringify(reply.result ?? null, null, 2);
    case "configure":
      return `${args[0]}: configured`;
    case "deconfigure":
      return `${args[0]}: deconfigured`;
    case "reset":
      return `${args[0]}: back to its default configuration`;
    case "force-reset":
      return `${args[0]}: power cycle started`;
    case "reload":
      return describeReload(reply.result as ReloadResult);
    case "wifi scan":
      return accessPointTable(reply.result as AccessPoint[]);
    default:
      return "subscribed; changes follow (Ctrl-C ends)";
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
    process.stderr.write(`statenet: ${(error as Error).message}\n`);
    return EXIT_BAD_INPUT;
  }
  const stream = controlStream(
    socketPath,
    request,
    (message) => {
      const change = message as ControlChange;
      print(
        json ? JSON.stringify(change) : `${change.key.join("/")} = ${JSON.stringify(change.value)}`,
      );
    },
    request.command === "wifi_scan" ? SCAN_REPLY_TIMEOUT_MS : REPLY_TIMEOUT_MS,
  );
  let reply: ControlReply;
  try {
    reply = await stream.reply;
  } catch (error) {
    if (!(error instanceof ControlConnectionError)) throw error;
    process.stderr.write(`statenet: ${error.message}\n`);
    return EXIT_FAILURE;
  }
  if (!reply.ok) {
    stream.close();
    process.stderr.write(`statenet: ${reply.error}\n`);
    return reply.code === undefined ? EXIT_FAILURE : EXIT_BAD_INPUT;
  }
  if (command !== "subscribe") {
    stream.close();
    print(json ? terminalJson(reply.result ?? null) : show(command, args, request, reply));
    return EXIT_OK;
  }
  if (!json) print(show(command, args, request, reply));
  // Streams until Ctrl-C or the daemon goes away.
  const interrupted = new Promise<void>((resolve) => {
    process.on("SIGINT", () => resolve());
    process.on("SIGTERM", () => resolve());
  });
  await Promise.race([interrupted, stream.closed]);
  stream.close();
  return EXIT_OK;
}
