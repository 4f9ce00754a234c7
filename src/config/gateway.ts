import { broadcastOf, networkOf } from "../route/ipv4.js";

/**
 * Why a static gateway cannot be reached from the interface's own subnet, or
 * undefined when it can. The kernel refuses a default route through an
 * off-subnet gateway ("Nexthop has invalid gateway") only when the route is
 * added, long after the configuration was accepted; refusing it here names the
 * field instead. Both addresses must already be valid IPv4 addresses.
 */
export function gatewayProblem(
  address: string,
  prefixLength: number,
  gateway: string,
): string | undefined {
  if (gateway === address) return "must not be the interface's own address";
  const subnet = networkOf(address, prefixLength);
  if (prefixLength === 32) {
    return `cannot be reached from ${address}/32, a subnet of one address; give the prefix length of the network the gateway is on`;
  }
  if (networkOf(gateway, prefixLength) !== subnet) {
    return `must be on the interface's subnet ${subnet}`;
  }
  // A /31 is a point-to-point link: both of its addresses are hosts (RFC 3021).
  if (prefixLength < 31 && `${gateway}/${prefixLength}` === subnet) {
    return `must not be the network address of ${subnet}`;
  }
  if (prefixLength < 31 && gateway === broadcastOf(address, prefixLength)) {
    return `must not be the broadcast address of ${subnet}`;
  }
  return undefined;
}
