import type { ReloadResult } from "../config/reload.js";
import type { NetworkManager } from "../network-manager.js";
import { maskSecrets } from "../secrets.js";
import type { ControlChange } from "./protocol.js";
import type { ControlHandler } from "./server.js";

/**
 * The daemon's answers to the control socket's requests; nothing secret goes
 * out. `reload` re-reads the configuration file the daemon was started with.
 */
export function controlHandler(
  manager: NetworkManager,
  reload: () => Promise<ReloadResult>,
): ControlHandler {
  return async (request, session) => {
    switch (request.command) {
      case "info":
        return maskSecrets(manager.info());
      case "get":
        return maskSecrets(manager.get(request.key)) ?? null;
      case "subscribe": {
        const unsubscribe = manager.subscribe(request.prefix, (change) => {
          const message: ControlChange = {
            event: "change",
            key: [...change.key],
            value: maskSecrets(change.new) ?? null,
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
    }
  };
}
