import { configuredRouteClass } from "../../config/route-type.js";
import { linkDownCommands, linkUpCommands } from "../ip-link.js";
import type { DaemonSpec, TechnologyPlan } from "../types.js";
import type { ModemProvider, ServiceProvider } from "./provider.js";
import type { MobileConfig, ModemBlock } from "./schema.js";

/** The modem's data connection, kept up by its provider (see mobile-daemon.ts). */
export interface MobileDaemonSpec extends DaemonSpec {
  /** The technology's type: each mobile technology registered starts its own. */
  kind: string;
  modem: ModemBlock;
  serviceProvider: ServiceProvider;
  retryDelayMs: number;
  maxRetryDelayMs: number;
}

/**
 * A modem's network interface: the link up without addresses, then the
 * provider's connect, then the address (a lease, or what the modem reported).
 * Its default route ranks as mobile, after wired and WiFi.
 */
export function mobilePlan<Type extends string>(
  ifname: string,
  config: MobileConfig<Type>,
  /** The modem's provider, when known: one that creates the interface (pppd) changes the plan. */
  provider?: Pick<ModemProvider, "createsInterface">,
): TechnologyPlan {
  const { mobile } = config;
  const connection: MobileDaemonSpec = {
    kind: config.type,
    ifname,
    modem: mobile.modem,
    serviceProvider: mobile.serviceProviders[0] as ServiceProvider,
    retryDelayMs: mobile.retryDelayMs,
    maxRetryDelayMs: mobile.maxRetryDelayMs,
  };
  if (provider?.createsInterface) {
    // Nothing to run on a link that does not exist yet: its daemon makes it, up and addressed.
    return {
      up: [],
      down: [],
      files: [],
      daemons: [connection],
      reaches: "internet",
      routeClass: configuredRouteClass(config, "mobile"),
      createsInterface: true,
    };
  }
  return {
    up: [...linkUpCommands(ifname), { kind: "ipv4_addresses", ifname, addresses: [] }],
    down: linkDownCommands(ifname),
    files: [],
    daemons: [connection],
    reaches: "internet",
    routeClass: configuredRouteClass(config, "mobile"),
  };
}
