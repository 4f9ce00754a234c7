import { join } from "node:path";
import { ConfigError } from "../config/validate.js";
import { controlHandler } from "../control/handler.js";
import { createControlServer } from "../control/server.js";
import type { Relay } from "../inspect/relay.js";
import { createLogger } from "../log.js";
import { createNetworkManager } from "../network-manager.js";
import { readConfigFile } from "./config-file.js";
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK } from "./exit-codes.js";

export interface RunOptions {
  configPath: string;
  logLevel?: string | undefined;
  /** The inspection relay's URL. */
  inspect?: string | undefined;
  /** Serve the visualizer (and a relay) on this loopback port. */
  visualizePort?: number | undefined;
}

/**
 * `statenet run`: the daemon in the foreground. Logs JSON lines to stdout;
 * SIGTERM or SIGINT stops every daemon it started and exits 0.
 */
export async function runDaemon(options: RunOptions): Promise<number> {
  const logger = createLogger({ level: options.logLevel });
  let config: Awaited<ReturnType<typeof readConfigFile>>;
  try {
    config = await readConfigFile(options.configPath);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(
      `statenet: invalid configuration ${options.configPath}\n${error.message}\n`,
    );
    return EXIT_BAD_INPUT;
  }
  let relay: Relay | undefined;
  if (options.visualizePort !== undefined) {
    try {
      // Only a daemon asked to serve the visualizer loads the relay's modules.
      const [{ startRelay }, { relayPages }] = await Promise.all([
        import("../inspect/relay.js"),
        import("./relay.js"),
      ]);
      relay = await startRelay({ port: options.visualizePort, pages: relayPages });
    } catch (error) {
      process.stderr.write(
        `statenet: cannot serve the visualizer on 127.0.0.1:${options.visualizePort}: ${(error as Error).message}\n`,
      );
      return EXIT_FAILURE;
    }
    logger.info({ url: relay.httpUrl }, "visualizer");
  }
  const manager = createNetworkManager({
    config,
    logger,
    inspect: options.inspect ?? relay?.url,
  });
  // Whatever got started, in reverse.
  let control: Awaited<ReturnType<typeof createControlServer>> | undefined;
  const shutDown = async () => {
    await control?.close();
    await manager.stop();
    await relay?.close();
  };
  // `on`, not `once`: execa's exit hook re-raises a signal it thinks nobody else handles,
  // and a `once` listener is gone by the time that hook looks.
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
      handle: controlHandler(manager),
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
  const signal = await stopped;
  logger.info({ signal }, "stopping");
  await shutDown();
  logger.info("stopped");
  return EXIT_OK;
}

/** The control socket's private directory under the configuration's tmpDir. */
export function controlDirectory(tmpDir: string): string {
  return join(tmpDir, "control");
}
