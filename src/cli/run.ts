import type { ReloadResult } from "../config/reload.js";
import { ConfigError } from "../config/validate.js";
import { controlGroupId } from "../control/group.js";
import { controlHandler } from "../control/handler.js";
import { createControlServer } from "../control/server.js";
import type { Relay } from "../inspect/relay.js";
import {
  AlreadyRunningError,
  type InstanceLock,
  InstanceLockError,
  takeInstanceLock,
} from "../linux/instance-lock.js";
import { createLogger, type LogFormat, type Logger } from "../log.js";
import { createNetworkManager } from "../network-manager.js";
import { hardFailures } from "../preflight/preflight.js";
import {
  invalidConfigMessage,
  type LoadedConfigFile,
  loadConfigFile,
  readConfigFile,
} from "./config-file.js";
import { controlDirectory, controlGroupDirectory } from "./control-socket-path.js";
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK } from "./exit-codes.js";

export interface RunOptions {
  configPath: string;
  logLevel?: string | undefined;
  logFormat?: LogFormat | undefined;
  /** The inspection relay's URL. */
  inspect?: string | undefined;
  /** Serve the visualizer (and a relay) on this loopback port. */
  visualizePort?: number | undefined;
}

/**
 * `statenet run`: the daemon in the foreground. Logs JSON lines (or pretty ones) to stdout;
 * SIGTERM or SIGINT stops every daemon it started and exits 0; SIGHUP
 * re-reads the configuration file. One daemon per tmpDir: a second one
 * exits 1 before it touches anything.
 */
export async function runDaemon(options: RunOptions): Promise<number> {
  const logger = createLogger({ level: options.logLevel, format: options.logFormat });
  // From the first moment: Node's default for SIGHUP ends the process, and so would a
  // hangup of the terminal or SSH session the daemon was started from.
  const reloads = onReloadSignal(logger);
  let file: LoadedConfigFile;
  try {
    file = await loadConfigFile(options.configPath);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(invalidConfigMessage(options.configPath, error));
    return EXIT_BAD_INPUT;
  }
  const { config } = file;
  // Before anything is touched, the lock's file included: where statenet cannot work,
  // one clear line instead of a flood of log lines.
  const failures = await hardFailures(config, file.planner);
  if (failures.length > 0) {
    for (const failure of failures) process.stderr.write(`statenet: ${failure.message}\n`);
    return EXIT_FAILURE;
  }
  let lock: InstanceLock;
  try {
    lock = await takeInstanceLock(config.tmpDir);
  } catch (error) {
    if (!(error instanceof AlreadyRunningError || error instanceof InstanceLockError)) throw error;
    process.stderr.write(`statenet: ${error.message}\n`);
    return EXIT_FAILURE;
  }
  try {
    return await runLocked(options, file, lock, logger, reloads);
  } finally {
    await lock.release();
  }
}

/** SIGHUP is a request to reload, handed to `reload` once the daemon runs. */
function onReloadSignal(logger: Logger) {
  let reload: (() => Promise<void>) | undefined;
  let asked = false;
  process.on("SIGHUP", () => {
    logger.info({ signal: "SIGHUP" }, "reloading the configuration file");
    if (reload) void reload();
    else asked = true;
  });
  return {
    /** From now on SIGHUP runs `handler`; at once if one came before. */
    handle(handler: () => Promise<void>): void {
      reload = handler;
      if (asked) void handler();
    },
    stop(): void {
      reload = async () => logger.info("stopping; the configuration file is not reloaded");
    },
  };
}

async function runLocked(
  options: RunOptions,
  { config, technologies }: LoadedConfigFile,
  instanceLock: InstanceLock,
  logger: Logger,
  reloads: ReturnType<typeof onReloadSignal>,
): Promise<number> {
  let relay: Relay | undefined;
  if (options.visualizePort !== undefined) {
    // Only a daemon asked to serve the visualizer loads the relay's modules.
    const { startVisualizerRelay } = await import("./relay.js");
    relay = await startVisualizerRelay(options.visualizePort, "--visualize=PORT");
    if (!relay) return EXIT_FAILURE;
    logger.info({ url: relay.httpUrl }, "visualizer");
  }
  const manager = createNetworkManager({
    config,
    technologies,
    logger,
    inspect: options.inspect ?? relay?.url,
    instanceLock,
  });
  let control: Awaited<ReturnType<typeof createControlServer>> | undefined;
  const shutDown = async () => {
    reloads.stop();
    // The manager first and at once, before any await: its children may be dying of the
    // same signal (a supervisor's group kill), and once it stops that is no news to act on.
    const managerStopped = manager.stop();
    await control?.close();
    await managerStopped;
    await relay?.close();
  };
  const reload = async (): Promise<ReloadResult> =>
    manager.reload(await readConfigFile(options.configPath));
  // `on`, not `once`: a second signal while stopping finds a listener, and does not kill
  // the daemon halfway through its shutdown.
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.on("SIGTERM", () => resolve("SIGTERM"));
    process.on("SIGINT", () => resolve("SIGINT"));
  });
  try {
    await manager.start();
  } catch (error) {
    logger.fatal({ err: error }, "could not start");
    await shutDown();
    return EXIT_FAILURE;
  }
  try {
    control = await createControlServer({
      dir: controlDirectory(config.tmpDir),
      logger,
      handle: controlHandler(manager, reload),
      group:
        config.controlGroup === undefined
          ? undefined
          : {
              dir: controlGroupDirectory(config.tmpDir),
              gid: await controlGroupId(config.controlGroup),
            },
    });
  } catch (error) {
    logger.fatal({ err: error }, "could not open the control socket");
    await shutDown();
    return EXIT_FAILURE;
  }
  logger.info(
    { interfaces: manager.configuredInterfaces(), control: control.path },
    "statenet running",
  );
  reloads.handle(() =>
    reload().then(
      () => {},
      (error: unknown) => {
        // The manager logged what a good file changed; a bad one changed nothing.
        const fields = error instanceof ConfigError ? error.problems.map(({ path }) => path) : [];
        logger.error(
          { file: options.configPath, fields, error: (error as Error).message },
          "configuration not reloaded; the running one stays",
        );
      },
    ),
  );
  const signal = await stopped;
  logger.info({ signal }, "stopping");
  await shutDown();
  logger.info("stopped");
  return EXIT_OK;
}
