import { describe, expect, it } from "vitest";
import { createActor, fromPromise } from "xstate";
import { routeManagerMachine } from "../../machines/route-manager.js";
import type { InterfaceConfig } from "../../src/config/schema.js";
import { ConfigError, parseConfig } from "../../src/config/validate.js";
import type { InterfaceType, KernelRoutes } from "../../src/route/types.js";
import { builtinPlanner } from "../../src/technologies/builtin.js";

const ETHERNET = { type: "ethernet", ipv4: { method: "dhcp" } };
const WIFI = {
  type: "wifi",
  wifi: { networks: [{ ssid: "phone", keyMgmt: "wpa_psk", psk: "correct horse" }] },
  ipv4: { method: "dhcp" },
};

function configOf(ifname: string, config: object): InterfaceConfig {
  const parsed = parseConfig({ interfaces: { [ifname]: config } }).interfaces[ifname];
  if (!parsed) throw new Error(`${ifname} vanished from the parsed config`);
  return parsed;
}

const routeClassOf = (ifname: string, config: object) =>
  builtinPlanner(ifname, configOf(ifname, config)).routeClass;

function problemsOf(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

describe('the configuration\'s "routeType"', () => {
  it.each(["ethernet", "wifi", "mobile", "local", "unknown"] as const)(
    "%s: Ethernet and WiFi take it, and it is the plan's route class",
    (routeType) => {
      expect(routeClassOf("usb0", { ...ETHERNET, routeType })).toBe(routeType);
      expect(routeClassOf("uplink0", { ...WIFI, routeType })).toBe(routeType);
    },
  );

  it("without it, the technology's default: Ethernet by name (else wired), WiFi always WiFi", () => {
    expect(routeClassOf("usb0", ETHERNET)).toBe("ethernet");
    expect(routeClassOf("wwan0", ETHERNET)).toBe("mobile");
    expect(routeClassOf("eth1", WIFI)).toBe("wifi");
  });

  it("says what the name does not: a modem's usb0, a WiFi dongle named eth1", () => {
    expect(routeClassOf("usb0", { ...ETHERNET, routeType: "mobile" })).toBe("mobile");
    expect(routeClassOf("wwan0", { ...ETHERNET, routeType: "ethernet" })).toBe("ethernet");
  });

  it("anything else is an error naming the field and the choices", () => {
    expect(problemsOf({ interfaces: { usb0: { ...ETHERNET, routeType: "cellular" } } })).toEqual([
      "interfaces.usb0.routeType: must be one of ethernet, wifi, mobile, local, unknown",
    ]);
    expect(problemsOf({ interfaces: { wlan0: { ...WIFI, routeType: 3 } } })).toEqual([
      "interfaces.wlan0.routeType: must be one of ethernet, wifi, mobile, local, unknown",
    ]);
  });

  it("a null interface carries no IP and has no route to rank: refused there", () => {
    expect(problemsOf({ interfaces: { eth0: { type: "null", routeType: "wifi" } } })).toEqual([
      "interfaces.eth0: unknown key(s): routeType",
    ]);
  });
});

describe("which route class wins", () => {
  /** The main table's default-route metric the route manager wants for usb0 (it ranks the class). */
  function mainMetric(routeClass: InterfaceType, interfaceTypes: Record<string, InterfaceType>) {
    const machine = routeManagerMachine.provide({
      // Never answers: the desired routes are all this test looks at.
      actors: { readKernel: fromPromise<KernelRoutes>(() => new Promise(() => {})) },
    });
    const actor = createActor(machine, {
      input: {
        interfaceTypes,
        interfaces: {
          usb0: {
            addresses: [{ address: "192.0.2.10", prefixLength: 24 }],
            gateway: "192.0.2.1",
            status: "internet",
            routeClass,
          },
        },
      },
    });
    actor.start();
    const desired = actor.getSnapshot().context.desired;
    actor.stop();
    const route = desired.find((entry) => entry.kind === "default_route" && entry.table === "main");
    return route?.kind === "default_route" ? route.metric : undefined;
  }

  it("the option routes.interfaceTypes, then the config's routeType, then the technology's default", () => {
    const configured = routeClassOf("usb0", { ...ETHERNET, routeType: "mobile" });
    const byDefault = routeClassOf("usb0", ETHERNET);
    // Metrics of an interface at the Internet: wired 10, WiFi 20, mobile 30.
    expect(mainMetric(byDefault, {})).toBe(10);
    expect(mainMetric(configured, {})).toBe(30);
    expect(mainMetric(configured, { usb0: "wifi" })).toBe(20);
  });
});
