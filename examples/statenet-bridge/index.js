import {
  configuredRouteClass,
  connectivitySchema,
  defineTechnology,
  interfaceNameSchema,
  ipv4Daemons,
  ipv4LinkPlan,
  ipv4Schema,
  routeTypeSchema,
  z,
} from "statenet";

/**
 * A Linux bridge as a statenet technology: `{"type": "bridge", "interfaces":
 * ["eth1", "eth2"], "ipv4": {...}}` configured on the bridge's own name
 * (`br0`) creates the bridge, enslaves the member interfaces and gives the
 * bridge its IPv4 (static or DHCP) as Ethernet gets it.
 */

export const bridgeConfigSchema = z
  .strictObject({
    type: z.literal("bridge"),
    /** The member interfaces; statenet configures none of them itself. */
    interfaces: z.array(interfaceNameSchema).min(1, "must name at least one member interface"),
    ipv4: ipv4Schema,
    connectivity: connectivitySchema.optional(),
    routeType: routeTypeSchema.optional(),
  })
  .check((context) => {
    const seen = new Set();
    context.value.interfaces.forEach((member, index) => {
      if (seen.has(member)) {
        context.issues.push({
          code: "custom",
          input: member,
          path: ["interfaces", index],
          message: `${member} is named twice`,
        });
      }
      seen.add(member);
    });
  });

/** @typedef {import("statenet").z.infer<typeof bridgeConfigSchema>} BridgeConfig */
/** @typedef {import("statenet").InterfaceCommand} InterfaceCommand */

/**
 * @param {string[]} args
 * @returns {InterfaceCommand}
 */
const ip = (...args) => ({ kind: "ip", args });

/**
 * Pure, as every plan: the bridge, its members, then the link and its
 * addresses as any IPv4 link has them; down removes the bridge (the kernel
 * releases its members).
 * @param {string} ifname
 * @param {BridgeConfig} config
 * @returns {import("statenet").TechnologyPlan}
 */
export function bridgePlan(ifname, config) {
  const { dhcpClient, ...link } = ipv4LinkPlan(ifname, config.ipv4);
  const bridge = [
    // A bridge a previous run left is the one wanted: the steps after this one check it.
    { ...ip("link", "add", "name", ifname, "type", "bridge"), ignoreFailure: true },
    ...config.interfaces.flatMap((member) => [
      ip("link", "set", member, "master", ifname),
      ip("link", "set", member, "up"),
    ]),
  ];
  return {
    ...link,
    up: [...bridge, ...link.up],
    down: [...link.down, ip("link", "del", ifname)],
    files: [],
    daemons: dhcpClient,
    // LAN or Internet by its gateway, as Ethernet; its default route ranks as wired.
    routeClass: configuredRouteClass(config, "ethernet"),
    createsInterface: true,
  };
}

export const technology = defineTechnology({
  type: "bridge",
  schema: bridgeConfigSchema,
  plan: bridgePlan,
  daemons: ipv4Daemons,
});

export default technology;
