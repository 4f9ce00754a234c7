import { join } from "node:path";
import { configSchema } from "../config/schema.js";
import { ConfigError } from "../config/validate.js";
import { ControlConnectionError, controlRequest } from "../control/client.js";
import { CONTROL_SOCKET_NAME } from "../control/protocol.js";
import { assertInterfaceName } from "../linux/interface-name.js";
import { readConfigFile } from "./config-file.js";
import { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK } from "./exit-codes.js";
import { controlDirectory } from "./run.js";

export interface ForceResetOptions {
  ifname: string;
  /** The daemon's configuration file: its tmpDir holds the control socket. */
  configPath?: string | undefined;
  socketPath?: string | undefined;
}

/** `statenet force-reset IFNAME`: asks the running daemon to power-cycle the interface's device. */
export async function forceReset(options: ForceResetOptions): Promise<number> {
  try {
    assertInterfaceName(options.ifname);
  } catch (error) {
    process.stderr.write(`statenet: ${(error as Error).message}\n`);
    return EXIT_BAD_INPUT;
  }
  let socketPath: string;
  try {
    socketPath = options.socketPath ?? (await socketOf(options.configPath));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(
      `statenet: invalid configuration ${options.configPath}\n${error.message}\n`,
    );
    return EXIT_BAD_INPUT;
  }
  try {
    const reply = await controlRequest(socketPath, {
      command: "force_reset",
      ifname: options.ifname,
    });
    if (!reply.ok) {
      process.stderr.write(`statenet: ${reply.error}\n`);
      return EXIT_FAILURE;
    }
  } catch (error) {
    if (!(error instanceof ControlConnectionError)) throw error;
    process.stderr.write(`statenet: ${error.message}\n`);
    return EXIT_FAILURE;
  }
  process.stdout.write(`${options.ifname}: power cycle started\n`);
  return EXIT_OK;
}

/** The socket of a daemon run with `configPath`, or with the default tmpDir. */
async function socketOf(configPath: string | undefined): Promise<string> {
  const { tmpDir } = configPath ? await readConfigFile(configPath) : configSchema.parse({});
  return join(controlDirectory(tmpDir), CONTROL_SOCKET_NAME);
}
