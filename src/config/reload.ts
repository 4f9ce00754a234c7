import type { Config, InterfaceConfig } from "./schema.js";

/**
 * What a new version of the configuration file changes in a running manager
 * (SIGHUP, `statenet reload`, `NetworkManager.reload`). Only interfaces
 * whose entry in the file changed are touched, and of those only the ones
 * that still follow the file: a configuration set at run time (saved, or
 * given without saving) stays, as it would over the file after a restart.
 */

/** Top-level settings the running manager takes at once; every other one needs a restart. */
export type LiveSetting = "internetHosts" | "additionalNameServers";

/** What a reload did, as the control socket reports it. */
export interface ReloadResult {
  /** Interfaces given the file's new configuration (or no longer managed), sorted. */
  applied: string[];
  /** Interfaces whose entry in the file changed but whose run-time configuration stays, sorted. */
  keptRuntime: string[];
  /** Top-level settings applied at once. */
  appliedSettings: LiveSetting[];
  /** Top-level settings that changed in the file and take effect after a restart. */
  needsRestart: string[];
}

export interface ReloadPlan extends ReloadResult {
  /** The new configuration of each interface in `applied`; undefined: no longer managed. */
  interfaces: ReadonlyMap<string, InterfaceConfig | undefined>;
  /** The configuration the manager runs with afterwards: the file's, but the running restart-only settings. */
  config: Config;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * `running` is the file as the manager runs it, `file` the new one,
 * `setAtRuntime` the interfaces configured or deconfigured at run time.
 */
export function planReload(
  running: Config,
  file: Config,
  setAtRuntime: ReadonlySet<string>,
): ReloadPlan {
  const interfaces = new Map<string, InterfaceConfig | undefined>();
  const keptRuntime: string[] = [];
  const names = new Set([...Object.keys(running.interfaces), ...Object.keys(file.interfaces)]);
  for (const ifname of [...names].sort()) {
    const before = running.interfaces[ifname];
    const after = file.interfaces[ifname];
    if (same(before, after)) continue;
    if (setAtRuntime.has(ifname)) keptRuntime.push(ifname);
    else interfaces.set(ifname, after);
  }

  const config: Config = { ...file };
  const appliedSettings: LiveSetting[] = [];
  const needsRestart: string[] = [];
  for (const key of Object.keys(file) as Array<keyof Config>) {
    if (key === "interfaces" || same(running[key], file[key])) continue;
    if (isLive(key, running, file)) {
      appliedSettings.push(key);
    } else {
      needsRestart.push(key);
      // The running value stays in force until the restart.
      (config as Record<string, unknown>)[key] = running[key];
    }
  }
  return {
    applied: [...interfaces.keys()],
    keptRuntime,
    appliedSettings,
    needsRestart,
    interfaces,
    config,
  };
}

function isLive(key: keyof Config, running: Config, file: Config): key is LiveSetting {
  switch (key) {
    case "additionalNameServers":
      return true;
    case "internetHosts":
      // Checkers and the traffic watcher exist only with hosts to check: a change of the
      // list reaches them, a list that comes or goes needs them started or stopped.
      return running.internetHosts.length > 0 && file.internetHosts.length > 0;
    default:
      return false;
  }
}

/** For people: one line per change, or that nothing changed. */
export function describeReload(result: ReloadResult): string {
  const lines = [
    ...result.applied.map((ifname) => `${ifname}: applied`),
    ...result.keptRuntime.map(
      (ifname) =>
        `${ifname}: changed in the file; the configuration set at run time stays (\`statenet reset ${ifname}\` applies the file's)`,
    ),
    ...result.appliedSettings.map((setting) => `${setting}: applied`),
    ...result.needsRestart.map((setting) => `${setting}: changed in the file; needs a restart`),
  ];
  return lines.length > 0 ? lines.join("\n") : "nothing changed";
}
