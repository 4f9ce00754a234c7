import { describe, expect, it } from "vitest";
import { type AnyActorRef, createActor, fromCallback, fromPromise } from "xstate";
import {
  connectivityCheckerMachine,
  type ProbeInput,
  type ProbeResult,
} from "../../machines/connectivity-checker.js";
import { interfaceMachine } from "../../machines/interface.js";
import { checkerActorId, managerMachine, ROUTE_MANAGER_ID } from "../../machines/manager.js";
import { type RouteManagerContext, routeManagerMachine } from "../../machines/route-manager.js";
import type { Ipv4Config } from "../../src/config/ipv4-schema.js";
import type { InterfaceConfig } from "../../src/config/schema.js";
import type { KernelRoutes } from "../../src/route/types.js";
import { builtinPlanner } from "../../src/technologies/builtin.js";
import { ipv4LinkPlan } from "../../src/technologies/ip-link.js";
import { waitUntil } from "../support/wait.js";

const LAN_ONLY: Ipv4Config = { method: "static", address: "192.0.2.10", prefixLength: 24 };
const ROUTED: Ipv4Config = { ...LAN_ONLY, gateway: "192.0.2.1" };

describe("what an IPv4 link can reach", () => {
  it.each([
    ["static without a gateway", LAN_ONLY, "lan"],
    ["static with a gateway", ROUTED, "internet"],
    ["DHCP", { method: "dhcp" }, "internet"],
    ["no IPv4", { method: "disabled" }, "lan"],
  ] as const)("%s: %s", (_name, ipv4, reaches) => {
    expect(ipv4LinkPlan("eth0", ipv4).reaches).toBe(reaches);
  });

  it("hands the DHCP client the host name and the options to ask for", () => {
    expect(
      ipv4LinkPlan("eth0", {
        method: "dhcp",
        hostname: "kiosk_7",
        dhcpRequestOptions: ["wpad", 224],
      }).dhcpClient,
    ).toEqual([
      { kind: "udhcpc", ifname: "eth0", hostname: "kiosk_7", requestOptions: ["wpad", 224] },
    ]);
  });
});

/**
 * The root machine with its interface, checker and route manager children,
 * the interface's commands instant and the checker's probes never answering:
 * whether a checker runs, and what routing is told, come from the plan alone.
 */
function startManager(ipv4: Ipv4Config) {
  const probes: ProbeInput[] = [];
  const machine = managerMachine.provide({
    actors: {
      interface: interfaceMachine.provide({
        actors: {
          bringUp: fromPromise(async () => {}),
          bringDown: fromPromise(async () => {}),
          daemons: fromCallback(() => {}),
        },
      }),
      checker: connectivityCheckerMachine.provide({
        actors: {
          probe: fromPromise<ProbeResult, ProbeInput>(({ input }) => {
            probes.push(input);
            return new Promise(() => {});
          }),
        },
      }),
      routeManager: routeManagerMachine.provide({
        actors: {
          readKernel: fromPromise(async (): Promise<KernelRoutes> => ({ owned: [], foreign: [] })),
          applyChanges: fromPromise(async () => {}),
        },
      }),
    },
  });
  const config: InterfaceConfig = { type: "ethernet", ipv4 };
  const actor = createActor(machine, {
    input: {
      interfaces: { eth0: config },
      planner: builtinPlanner,
      links: { eth0: { present: true, lowerUp: true } },
      checkInternet: true,
    },
  });
  actor.start();
  const child = (id: string) => actor.getSnapshot().children[id] as AnyActorRef | undefined;
  const routing = () =>
    (child(ROUTE_MANAGER_ID)?.getSnapshot().context as RouteManagerContext | undefined)?.interfaces
      .eth0;
  return { actor, child, routing, probes };
}

describe("a static address without a gateway, through the manager", () => {
  it("runs no connectivity checker and routes the link as lan while it has carrier", async () => {
    const { actor, child, routing, probes } = startManager(LAN_ONLY);
    try {
      await waitUntil("the address reported", () => routing()?.addresses.length === 1);
      expect(routing()).toMatchObject({
        addresses: [{ address: "192.0.2.10", prefixLength: 24 }],
        gateway: undefined,
        status: "lan",
      });
      expect(child(checkerActorId("eth0"))).toBeUndefined();
      expect(actor.getSnapshot().context.checkers).toEqual({});
      // Carrier gone: disconnected; back: lan again, still without a checker.
      actor.send({ type: "link.changed", ifname: "eth0", present: true, lowerUp: false });
      await waitUntil("disconnected", () => routing()?.status === "disconnected");
      actor.send({ type: "link.changed", ifname: "eth0", present: true, lowerUp: true });
      await waitUntil("lan again", () => routing()?.status === "lan");
      expect(child(checkerActorId("eth0"))).toBeUndefined();
      expect(probes).toEqual([]);
    } finally {
      actor.stop();
    }
  });

  it("while the same address with a gateway gets a checker that probes", async () => {
    const { actor, child, routing, probes } = startManager(ROUTED);
    try {
      await waitUntil("the address reported", () => routing()?.addresses.length === 1);
      expect(child(checkerActorId("eth0"))).toBeDefined();
      await waitUntil("a probe", () => probes.length > 0, 10_000);
      expect(probes[0]).toMatchObject({ ifname: "eth0" });
    } finally {
      actor.stop();
    }
  });
});
