import { startUdhcpcDaemon } from "../../dhcp/udhcpc-daemon.js";
import { CommandError } from "../../linux/command-runner.js";
import { runInterfaceCommand } from "../../linux/interface-commands.js";
import type { DaemonContext, DaemonStarter, RunningDaemon } from "../daemon.js";
import type { Ipv4Settings } from "../types.js";
import { connectRetryDelay } from "./backoff.js";
import type { MobileDaemonSpec } from "./plan.js";
import {
  ModemCommandError,
  type ModemConnection,
  type ModemProvider,
  type ModemSession,
} from "./provider.js";

/** A plan names a modem provider that is not registered (the schema refuses it first). */
export class UnknownModemProviderError extends Error {
  constructor(readonly provider: string) {
    super(`no modem provider "${provider}" is registered`);
    this.name = "UnknownModemProviderError";
  }
}

/** Published as `interface/<if>/mobile/state`. */
export type MobileState = "connecting" | "connected" | "retrying";

/**
 * Keeps a modem's data connection up while the interface is configured: the
 * provider connects, a failure is published and retried after a growing
 * delay with the link left as it is, and once connected the address comes
 * from a DHCP client or from the modem's report. Stopping ends the
 * connection and clears `interface/<if>/mobile/*`. A connection that dies
 * later shows as lost connectivity: the power manager's watchdog restarts
 * the interface or power-cycles the modem, as in VintageNet.
 */
function startModemConnection(
  provider: ModemProvider,
  spec: MobileDaemonSpec,
  context: DaemonContext,
): RunningDaemon {
  const { ifname } = spec;
  const { dependencies, sendBack } = context;
  const { properties } = dependencies;
  const logger = dependencies.logger.child({ ifname, daemon: spec.kind, provider: provider.name });
  const prefix = ["interface", ifname, "mobile"];
  const abort = new AbortController();
  let stopped = false;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let attempting: Promise<void> | undefined;
  let dhcp: RunningDaemon | undefined;
  let stopMonitor: (() => void) | undefined;

  const publish = (name: string, value: unknown) => {
    if (!stopped) properties.put([...prefix, name], value);
  };

  const run = async (command: readonly string[], timeoutMs: number, signal: AbortSignal) => {
    const [file, ...args] = command;
    if (file === undefined) throw new ModemCommandError(command, "failed", "no program named");
    try {
      return (await dependencies.runner.run(file, args, { signal, timeoutMs })).stdout;
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      throw new ModemCommandError(command, error.timedOut ? "timeout" : "failed", error.detail);
    }
  };

  const session = (signal: AbortSignal): ModemSession => ({
    ifname,
    options: spec.modem,
    serviceProvider: spec.serviceProvider,
    run: (command, timeoutMs) => run(command, timeoutMs, signal),
    signal,
    logger,
    publish,
    runner: dependencies.runner,
    configDir: dependencies.configDir,
    pidDir: dependencies.pidDir,
  });

  const applyReported = async (settings: Ipv4Settings) => {
    await runInterfaceCommand(
      dependencies,
      { kind: "ipv4_addresses", ifname, addresses: settings.addresses },
      abort.signal,
      dependencies.commandTimeoutMs,
    );
    if (!stopped) sendBack({ type: "ipv4.updated", settings });
  };

  const connected = async (connection: ModemConnection) => {
    if (connection.addressing === "reported") await applyReported(connection.settings);
    if (stopped) return;
    failures = 0;
    properties.clear([...prefix, "last_error"]);
    publish("state", "connected" satisfies MobileState);
    logger.info({ addressing: connection.addressing }, "modem connected");
    if (connection.addressing === "dhcp") {
      dhcp = startUdhcpcDaemon({ kind: "udhcpc", ifname }, context);
    }
    stopMonitor = provider.monitor?.(session(abort.signal));
  };

  const attempt = async () => {
    publish("state", "connecting" satisfies MobileState);
    try {
      await connected(await provider.connect(session(abort.signal)));
    } catch (error) {
      if (stopped) return;
      failures += 1;
      const delayMs = connectRetryDelay(failures, spec.retryDelayMs, spec.maxRetryDelayMs);
      const message = (error as Error).message;
      // A command's failure says how (failed or timed out); anything else is the provider's own.
      const failure = error instanceof ModemCommandError ? error.failure : (error as Error).name;
      logger.warn(
        { error: message, failure, failures, retryInMs: delayMs },
        "modem connect failed",
      );
      publish("last_error", message);
      publish("state", "retrying" satisfies MobileState);
      retryTimer = setTimeout(() => {
        attempting = attempt();
      }, delayMs);
    }
  };

  attempting = attempt();
  return {
    renew: () => dhcp?.renew?.(),
    stop: async () => {
      // Nothing published holds any more: the connection is being ended.
      properties.clearPrefix(prefix);
      stopped = true;
      clearTimeout(retryTimer);
      abort.abort();
      stopMonitor?.();
      await attempting;
      await dhcp?.stop();
      // Never aborted: the modem is told to hang up even though the interface is going.
      await provider
        .disconnect(session(new AbortController().signal))
        .catch((error: Error) => logger.warn({ error: error.message }, "modem disconnect failed"));
    },
  };
}

/** The `mobile` daemon kind for these providers, looked up by the config's `modem.provider`. */
export function mobileDaemonStarter(
  providers: readonly ModemProvider[],
): DaemonStarter<MobileDaemonSpec> {
  const byName = new Map(providers.map((provider) => [provider.name, provider]));
  return (spec, context) => {
    const provider = byName.get(spec.modem.provider);
    if (!provider) throw new UnknownModemProviderError(spec.modem.provider);
    return startModemConnection(provider, spec, context);
  };
}
