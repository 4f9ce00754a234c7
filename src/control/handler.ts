import { isDeepStrictEqual } from "node:util";
import type { ReloadResult } from "../config/reload.js";
import type { NetworkManager } from "../network-manager.js";
import { maskSecrets } from "../secrets.js";
import type { ControlChange, PropertyEntry, TimestampedReply } from "./protocol.js";
import type { ControlHandler } from "./server.js";

/** What the control socket asks of the network manager (configs come as JSON, checked at run time). */
export type ControlledManager = Pick<
  NetworkManager<unknown>,
  | "info"
  | "get"
  | "getWithTimestamp"
  | "getByPrefix"
  | "subscribe"
  | "configure"
  | "deconfigure"
  | "resetToDefaults"
  | "forceReset"
  | "scan"
  | "getConfiguration"
>;

/**
 * What `configure`, `deconfigure` and `reset` did: the interface's
 * configuration afterwards (secrets masked; null when nothing configures it)
 * and whether that differs from before (the same configuration again
 * changes nothing).
 */
export interface ConfigChangeResult {
  ifname: string;
  changed: boolean;
  config: unknown;
}

/** `info` with secrets asked by a caller that may not be root. */
export class SecretsRefusedError extends Error {
  constructor() {
    super(
      "info with secrets shown needs root, and the control socket cannot prove the caller is: " +
        "run the daemon as root and ask as root",
    );
    this.name = "SecretsRefusedError";
  }
}

/**
 * The daemon's answers to the control socket's requests; nothing secret goes
 * out, except `info` with `redact: false` to a caller known to be root.
 * `reload` re-reads the configuration file the daemon was started with;
 * `status` is `info` for the one-screen summary (the CLI makes it).
 */
export function controlHandler(
  manager: ControlledManager,
  reload: () => Promise<ReloadResult>,
): ControlHandler {
  return async (request, session) => {
    switch (request.command) {
      case "status":
        return maskSecrets(manager.info());
      case "info":
        if (request.redact !== false) return maskSecrets(manager.info());
        if (!session.callerIsRoot) throw new SecretsRefusedError();
        return manager.info({ redact: false });
      case "get":
        if (request.tree) return entriesUnder(manager, request.key);
        if (request.withTimestamp) return timestamped(manager, request.key);
        return maskSecrets(manager.get(request.key)) ?? null;
      case "subscribe": {
        const unsubscribe = manager.subscribe(request.prefix, (change) => {
          const message: ControlChange = {
            event: "change",
            key: [...change.key],
            value: maskSecrets(change.new) ?? null,
            oldTimestamp: change.oldTimestamp ?? null,
            newTimestamp: change.newTimestamp,
          };
          session.push(message);
        });
        session.onClose(unsubscribe);
        // Read after subscribing, in the same turn: no change falls between the two.
        return entriesUnder(manager, request.prefix);
      }
      case "configure":
        return configChange(manager, request.ifname, () =>
          manager.configure(request.ifname, request.config),
        );
      case "deconfigure":
        return configChange(manager, request.ifname, () => manager.deconfigure(request.ifname));
      case "reset":
        return configChange(manager, request.ifname, () => manager.resetToDefaults(request.ifname));
      case "force_reset":
        manager.forceReset(request.ifname);
        return { ifname: request.ifname, power_cycle: "started" };
      case "reload":
        return reload();
      case "wifi_scan":
        return manager.scan(request.ifname);
    }
  };
}

/** The manager's table stamps with performance.now() (PropertyTimestamp): the age is on that clock. */
function timestamped(
  manager: ControlledManager,
  key: readonly string[],
  now = performance.now(),
): TimestampedReply | null {
  const found = manager.getWithTimestamp(key);
  if (found === undefined) return null;
  return {
    value: maskSecrets(found.value) ?? null,
    timestamp: found.timestamp,
    ageMs: Math.max(0, now - found.timestamp),
  };
}

/** Every property at or under `prefix`, masked, with its age; in the table's order. */
function entriesUnder(manager: ControlledManager, prefix: readonly string[]): PropertyEntry[] {
  const now = performance.now();
  return manager.getByPrefix(prefix).flatMap(([key]) => {
    const found = timestamped(manager, key, now);
    return found ? [{ key: [...key], ...found }] : [];
  });
}

async function configChange(
  manager: ControlledManager,
  ifname: string,
  change: () => Promise<unknown>,
): Promise<ConfigChangeResult> {
  const before = manager.getConfiguration(ifname);
  await change();
  const after = manager.getConfiguration(ifname);
  return {
    ifname,
    changed: !isDeepStrictEqual(before, after),
    config: maskSecrets(after) ?? null,
  };
}
