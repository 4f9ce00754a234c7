import { z } from "zod";
import type { InterfaceType } from "../route/types.js";

/**
 * `"routeType"`: where an interface's default route ranks (wired before WiFi
 * before mobile, see default-metric.ts), for an interface whose name does not
 * say what it is: a USB modem that shows up as `usb0`, a WiFi dongle named
 * `eth1`. Any technology that carries IP takes it.
 *
 * Which class wins, first to last: the in-process option
 * `routes.interfaceTypes` (the application knows its hardware best), then
 * the configuration's `routeType`, then the technology's own default (for
 * Ethernet, what the name suggests, else wired; WiFi is always WiFi).
 */

// Keyed by the type, so a new route class that is missing here fails to compile.
const ROUTE_TYPES: { readonly [T in InterfaceType]: T } = {
  ethernet: "ethernet",
  wifi: "wifi",
  mobile: "mobile",
  local: "local",
  unknown: "unknown",
};

export const routeTypeSchema = z.enum(ROUTE_TYPES, {
  error: () => `must be one of ${Object.keys(ROUTE_TYPES).join(", ")}`,
});

/** The configured class if there is one, else the technology's default. */
export function configuredRouteClass(
  config: { routeType?: InterfaceType | undefined },
  technologyDefault: InterfaceType,
): InterfaceType {
  return config.routeType ?? technologyDefault;
}
