import type { Technology } from "../technology.js";
import { mobileDaemonStarter } from "./mobile-daemon.js";
import { netdevProvider } from "./netdev-provider.js";
import { mobilePlan } from "./plan.js";
import { pppProvider } from "./ppp-provider.js";
import type { ModemProvider } from "./provider.js";
import { type MobileConfigSchema, mobileConfigSchema } from "./schema.js";

export type { MobileState } from "./mobile-daemon.js";
export type { NetdevModemOptions } from "./netdev-provider.js";
export type { MobileDaemonSpec } from "./plan.js";
export type { PppModemOptions } from "./ppp-provider.js";
export * from "./provider.js";
export type { MobileConfig } from "./schema.js";

/** The modem providers statenet ships. */
export const BUILTIN_MODEM_PROVIDERS: readonly ModemProvider[] = [netdevProvider, pppProvider];

export interface MobileTechnologyOptions<Type extends string> {
  /**
   * The config's `type`: another name registers modems of one's own beside the
   * built-in `mobile` (`createNetworkManager({ technologies })`).
   */
  type?: Type;
  /** Providers of other modems, beside the built-in ones; each name must be new. */
  providers?: readonly ModemProvider[];
}

/** Cellular modems, each brought up by the provider its config names. */
export function mobileTechnology<Type extends string = "mobile">(
  options: MobileTechnologyOptions<Type> = {},
): Technology<MobileConfigSchema<Type>> {
  const type = options.type ?? ("mobile" as Type);
  const providers = [...BUILTIN_MODEM_PROVIDERS, ...(options.providers ?? [])];
  const byName = new Map<string, ModemProvider>();
  for (const provider of providers) {
    if (byName.has(provider.name)) {
      throw new Error(`modem provider "${provider.name}" is registered twice`);
    }
    byName.set(provider.name, provider);
  }
  return {
    type,
    schema: mobileConfigSchema(type, providers),
    plan: (ifname, config) => mobilePlan(ifname, config, byName.get(config.mobile.modem.provider)),
    // Kind = type: two mobile technologies' daemons never claim one kind.
    daemons: { [type]: mobileDaemonStarter(providers) },
  };
}

/** The mobile technology with the built-in providers. */
export const mobile = mobileTechnology();
