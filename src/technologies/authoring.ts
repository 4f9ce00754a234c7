import { startUdhcpcDaemon } from "../dhcp/udhcpc-daemon.js";
import type { DaemonStarters } from "./technology.js";

/**
 * What a third-party technology is made of, beyond the Technology shape:
 * the pieces the built-in ones are made of, so that a technology that
 * carries IPv4 on a kernel link (a bridge, a VLAN, a tunnel) writes only
 * what is its own. README: "Third-party technologies".
 */

export { connectivitySchema } from "../config/connectivity-schema.js";
export { interfaceName as interfaceNameSchema } from "../config/fields.js";
export {
  type DhcpIpv4Config,
  dhcpIpv4Schema,
  disabledIpv4Schema,
  type Ipv4Config,
  ipv4Schema,
  type StaticIpv4Config,
  staticIpv4Schema,
} from "../config/ipv4-schema.js";
export { configuredRouteClass, routeTypeSchema } from "../config/route-type.js";
export type { UdhcpcDaemonSpec } from "../dhcp/udhcpc-daemon.js";
export { type Ipv4Plan, ipv4LinkPlan, linkDownCommands, linkUpCommands } from "./ip-link.js";
export { defineTechnology } from "./technology.js";

/**
 * The daemons an `ipv4LinkPlan` may name (the DHCP client): a technology
 * that uses it registers these as its `daemons`, the same starters the
 * built-in ones register, so the kinds do not clash.
 */
export const ipv4Daemons: DaemonStarters = { udhcpc: startUdhcpcDaemon };
