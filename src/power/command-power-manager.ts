import type { PowerManagerConfig } from "../config/schema.js";
import type { CommandRunner } from "../linux/command-runner.js";
import type { PowerCallContext, PowerManagerImplementation } from "./implementation.js";

/**
 * The power manager of the configuration file: each step runs a program
 * (no shell) with a timeout; a step fails if its program fails. The hold
 * times are the configured ones.
 */
export function commandPowerManager(
  config: PowerManagerConfig,
  runner: CommandRunner,
): PowerManagerImplementation {
  const step =
    (argv: readonly string[] | undefined, holdMs: number) =>
    async ({ signal }: PowerCallContext): Promise<number> => {
      const [file, ...args] = argv ?? [];
      if (file !== undefined) {
        await runner.run(file, args, { signal, timeoutMs: config.commandTimeoutMs });
      }
      return holdMs;
    };
  const { commands } = config;
  return {
    powerOn: step(commands.powerOn, config.powerOnHoldMs),
    startPoweringOff: step(commands.startPoweringOff, config.timeToPowerOffMs),
    powerOff: step(commands.powerOff, config.minPowerOffMs),
  };
}
