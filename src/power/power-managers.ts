import type { PowerManagerOptions } from "../../machines/manager.js";
import type { PowerSettings } from "../../machines/power-manager.js";
import type { Config, PowerManagerConfig } from "../config/schema.js";
import type { CommandRunner } from "../linux/command-runner.js";
import { commandPowerManager } from "./command-power-manager.js";
import type { PowerManagerImplementation } from "./implementation.js";

export interface InProcessPowerManager extends Partial<PowerSettings> {
  implementation: PowerManagerImplementation;
  /** Pet the watchdog while the interface reaches the Internet (default) or already with a working link. */
  petWhen?: "internet" | "lan";
}

/** A power-manager request for an interface that has none. */
export class NoPowerManagerError extends Error {
  constructor(readonly ifname: string) {
    super(`interface ${ifname} has no power manager`);
    this.name = "NoPowerManagerError";
  }
}

/** A command-based power manager's settings for the watchdog machine. */
function commandPowerSettings(config: PowerManagerConfig): Partial<PowerSettings> {
  const guard = config.bootLoopGuard;
  return {
    watchdogTimeoutMs: config.watchdogTimeoutMs,
    // Past the command's own limit, so its timeout error is the one reported.
    callTimeoutMs: config.commandTimeoutMs + 1_000,
    restartFirst: config.restartFirst,
    maxCyclesPerWindow: guard.maxCycles,
    cycleWindowMs: guard.windowMs,
    backoffBaseMs: guard.backoffMs,
    backoffMaxMs: guard.maxBackoffMs,
  };
}

/**
 * Every interface's power manager: the configuration file's command-based
 * ones, then the app's in-process ones, which take the place of a file entry
 * for the same interface.
 */
export function collectPowerManagers(
  config: Config,
  inProcess: Readonly<Record<string, InProcessPowerManager>> | undefined,
  runner: CommandRunner,
): {
  implementations: Map<string, PowerManagerImplementation>;
  options: Record<string, PowerManagerOptions>;
} {
  const implementations = new Map<string, PowerManagerImplementation>();
  const options: Record<string, PowerManagerOptions> = {};
  for (const [ifname, entry] of Object.entries(config.powerManagers)) {
    implementations.set(ifname, commandPowerManager(entry, runner));
    options[ifname] = { settings: commandPowerSettings(entry), petWhen: entry.petWhen };
  }
  for (const [ifname, entry] of Object.entries(inProcess ?? {})) {
    const { implementation, petWhen, ...settings } = entry;
    implementations.set(ifname, implementation);
    options[ifname] = { settings, petWhen };
  }
  return { implementations, options };
}
