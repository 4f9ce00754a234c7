import type { ReloadResult } from "../config/reload.js";
import type { NetworkManager } from "../network-manager.js";
import { maskSecrets } from "../secrets.js";
import type { ControlChange, TimestampedReply } from "./protocol.js";
import type { ControlHandler } from "./server.js";

/** What the control socket asks of the network manager. */
export type ControlledManager = Pick<
  NetworkManager,
  | "info"
  | "get"
  | "getWithTimestamp"
  | "subscribe"
  | "configure"
  | "deconfigure"
  | "resetToDefaults"
  | "forceReset"
  | "scan"
>;

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
 * `reload` re-reads the configuration file the daemon was started with.
 */
export function controlHandler(
  manager: ControlledManager,
  reload: () => Promise<ReloadResult>,
): ControlHandler {
  return async (request, session) => {
    switch (request.command) {
      case "info":
        if (request.redact !== false) return maskSecrets(manager.info());
        if (!session.callerIsRoot) throw new SecretsRefusedError();
        return manager.info({ redact: false });
      case "get":
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
        return undefined;
      }
      case "configure":
        return manager.configure(request.ifname, request.config);
      case "deconfigure":
        return manager.deconfigure(request.ifname);
      case "reset":
        return manager.resetToDefaults(request.ifname);
      case "force_reset":
        return manager.forceReset(request.ifname);
      case "reload":
        return reload();
      case "wifi_scan":
        return manager.scan(request.ifname);
    }
  };
}

/** The manager's table stamps with performance.now() (PropertyTimestamp): the age is on that clock. */
function timestamped(manager: ControlledManager, key: readonly string[]): TimestampedReply | null {
  const found = manager.getWithTimestamp(key);
  if (found === undefined) return null;
  return {
    value: maskSecrets(found.value) ?? null,
    timestamp: found.timestamp,
    ageMs: Math.max(0, performance.now() - found.timestamp),
  };
}
