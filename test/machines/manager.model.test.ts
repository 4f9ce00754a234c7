import { describe, expect, it } from "vitest";
import {
  type AnyActorRef,
  createActor,
  enqueueActions,
  fromCallback,
  fromPromise,
  SimulatedClock,
} from "xstate";
import {
  type CheckerContext,
  checkingWithinWatchdog,
  connectivityCheckerMachine,
  type ProbeInput,
  type ProbeResult,
} from "../../machines/connectivity-checker.js";
import { type CommandsInput, interfaceMachine } from "../../machines/interface.js";
import {
  checkerActorId,
  interfaceActorId,
  type ManagerContext,
  type ManagerInput,
  managerMachine,
  powerActorId,
  ROUTE_MANAGER_ID,
} from "../../machines/manager.js";
import { type PowerCallInput, powerManagerMachine } from "../../machines/power-manager.js";
import { type RouteManagerContext, routeManagerMachine } from "../../machines/route-manager.js";
import type { InterfaceConfig } from "../../src/config/schema.js";
import type { DefaultRouteEntry, KernelRoutes, RouteChange } from "../../src/route/types.js";
import { routeReportProblem } from "../../src/route/validate.js";
import { builtinPlanner } from "../../src/technologies/builtin.js";
import type { Ipv4Settings } from "../../src/technologies/types.js";
import { controlledPromise, settle } from "../model/controlled-promise.js";
import { CoverageRecorder } from "../model/coverage.js";
import { edgeCoveringPaths } from "../model/paths.js";
import { describeEveryEdge } from "../model/walk.js";

const DHCP: InterfaceConfig = { type: "ethernet", ipv4: { method: "dhcp" } };
const STATIC: InterfaceConfig = {
  type: "ethernet",
  ipv4: { method: "static", address: "198.51.100.10", prefixLength: 24, gateway: "198.51.100.1" },
};
const LEASE: Ipv4Settings = {
  addresses: [{ address: "192.0.2.120", prefixLength: 24 }],
  gateway: "192.0.2.1",
  nameServers: ["192.0.2.1"],
};
const ETH0 = interfaceActorId("eth0");
const POWER = powerActorId("eth0");

type AnyEvent = { type: string; [key: string]: unknown };

const environmentEvents: AnyEvent[] = [
  { type: "config.set", ifname: "eth0", config: DHCP },
  { type: "config.set", ifname: "eth0", config: STATIC },
  { type: "config.remove", ifname: "eth0" },
  { type: "link.changed", ifname: "eth0", present: true, lowerUp: true },
  { type: "link.changed", ifname: "eth0", present: true, lowerUp: false },
  { type: "link.changed", ifname: "eth0", present: false, lowerUp: false },
  { type: `xstate.error.actor.${ROUTE_MANAGER_ID}`, error: new Error("bug in the route manager") },
];

/**
 * Requests the root only passes on to the power manager or the interface:
 * they change nothing in the root, so they are tried where nothing else has
 * happened yet; behaviour tests check what they pass on.
 */
const forwardedEvents: AnyEvent[] = [
  { type: "power.restart_interface", ifname: "eth0" },
  { type: "power.force_reset", ifname: "eth0" },
  { type: "watchdog.pet", ifname: "eth0" },
];
const POWER_FAILURE: AnyEvent = {
  type: `xstate.error.actor.${POWER}`,
  error: new Error("bug in the power manager"),
};

/** Reports only an existing interface actor can make. */
const childEvents: Record<string, AnyEvent[]> = {
  running: [
    { type: "interface.ipv4", ifname: "eth0", settings: LEASE },
    { type: "interface.ipv4_cleared", ifname: "eth0" },
    { type: `xstate.error.actor.${ETH0}`, error: new Error("bug in the interface") },
  ],
  stopping: [
    { type: "interface.stopped", ifname: "eth0" },
    { type: `xstate.error.actor.${ETH0}`, error: new Error("bug in the interface") },
  ],
};

function serialize(context: ManagerContext): string {
  const { configs, phases, pending, links, ipv4, respawning } = context;
  return JSON.stringify([configs, phases, pending, links, ipv4, respawning, context.checkers]);
}

const RESPAWN_DELAY_MS = 1_000;
const input = {
  interfaces: { eth0: DHCP },
  planner: builtinPlanner,
  links: { eth0: { present: true, lowerUp: true } },
  respawnDelayMs: RESPAWN_DELAY_MS,
  checkInternet: true,
  powerManagers: { eth0: {} },
};
const CHECKER = checkerActorId("eth0");

/** Reports only a running connectivity checker can make. */
const checkerEvents: AnyEvent[] = [
  {
    type: "connectivity.changed",
    ifname: "eth0",
    status: "internet",
    reason: "203.0.113.53 answered",
  },
  { type: "connectivity.changed", ifname: "eth0", status: "lan", reason: "confirmed: timed out" },
  { type: "connectivity.checked", ifname: "eth0", reachable: true },
  { type: "traffic.observed", ifname: "eth0", evidence: "seen" },
  { type: `xstate.error.actor.${CHECKER}`, error: new Error("bug in the checker") },
];

/** Each waiting respawn fires once (the live actor: when the clock passes the delay). */
function respawnEvents(context: ManagerContext): AnyEvent[] {
  return context.respawning.length > 0
    ? [{ type: "child.respawn", id: context.respawning[0] }]
    : [];
}

/** What the world and the interface actor can send; a failed route manager cannot fail again before it is back. */
function lifecycleEvents(context: ManagerContext): AnyEvent[] {
  const phase = context.phases.eth0;
  const environment = context.respawning.includes(ROUTE_MANAGER_ID)
    ? environmentEvents.filter((event) => !event.type.startsWith("xstate.error"))
    : environmentEvents;
  return [...environment, ...(phase ? (childEvents[phase] ?? []) : [])];
}

const serializeState = (snapshot: unknown) =>
  serialize((snapshot as { context: ManagerContext }).context);

/**
 * Two graphs, walked without running children (the live actors run real
 * ones): the interface lifecycle with config changes and failures, and the
 * connectivity checkers of one configured interface. One graph of both
 * would be their product, tens of thousands of paths.
 */
const lifecycleInput = { ...input, checkInternet: false };
const lifecyclePaths = edgeCoveringPaths(managerMachine, {
  input: lifecycleInput,
  events: (snapshot) => {
    const { context } = snapshot as unknown as { context: ManagerContext };
    if (context.respawning.includes(POWER)) {
      // Without its power manager, configs still apply; the rest is the same as with one.
      return [
        ...environmentEvents.filter((event) => event.type.startsWith("config.")),
        ...respawnEvents(context),
      ];
    }
    return [
      ...lifecycleEvents(context),
      ...(context.phases.eth0 === "running" &&
      context.respawning.length === 0 &&
      Object.keys(context.ipv4).length === 0
        ? [POWER_FAILURE, ...forwardedEvents]
        : []),
      ...respawnEvents(context),
    ];
  },
  serializeState,
});

const linkEvents = environmentEvents.filter((event) => event.type === "link.changed");
const connectivityPaths = edgeCoveringPaths(managerMachine, {
  input,
  events: (snapshot) => {
    const { context } = snapshot as unknown as { context: ManagerContext };
    const reports =
      context.phases.eth0 === "running"
        ? (childEvents.running ?? []).filter((event) => !event.type.startsWith("xstate.error"))
        : [];
    const checker = context.checkers.eth0 ? checkerEvents : [];
    return [...linkEvents, ...reports, ...checker, ...respawnEvents(context)];
  },
  serializeState,
});

/**
 * Both together: about 16,000 paths, a minute to replay. Every state of it is
 * checked against the model's invariants (cheap, no actors); a spread sample
 * is replayed live, all of it with STATENET_MODEL_FULL=1.
 */
const productPaths = edgeCoveringPaths(managerMachine, {
  input,
  events: (snapshot) => {
    const { context } = snapshot as unknown as { context: ManagerContext };
    return [
      ...lifecycleEvents(context),
      ...(context.checkers.eth0 ? checkerEvents : []),
      ...respawnEvents(context),
    ];
  },
  serializeState,
});
const PRODUCT_SAMPLE = process.env.STATENET_MODEL_FULL === "1" ? Number.POSITIVE_INFINITY : 1_500;
const productStride = Math.max(1, Math.floor(productPaths.length / PRODUCT_SAMPLE));

const paths = [
  ...lifecyclePaths.map((path) => ({ ...path, input: lifecycleInput })),
  ...connectivityPaths.map((path) => ({ ...path, input })),
  ...productPaths
    .filter((_, index) => index % productStride === 0)
    .map((path) => ({ ...path, input })),
];

function startLiveActor(
  recorder: CoverageRecorder,
  startInput: ManagerInput = input,
  /** What the route manager reads from the kernel. */
  kernel: KernelRoutes = { owned: [], foreign: [] },
) {
  // Up commands never finish, so interfaces report only what the test makes them report.
  const bringUp = controlledPromise<void, CommandsInput>();
  const bringDown = controlledPromise<void, CommandsInput>();
  const faults = { interface: false, routeManager: false, checker: false, power: false };
  /** Link reports reach a checker in every state: the place for its fault. */
  const faultyLinkGuard =
    (usable: boolean) =>
    ({ event }: { event: { type: string; usable?: boolean } }) => {
      if (faults.checker) {
        faults.checker = false;
        throw new Error("bug in the checker");
      }
      return event.type === "link.changed" && event.usable === usable;
    };
  const nameServers: Array<{ ifname: string; settings: Ipv4Settings | undefined }> = [];
  const removed: string[] = [];
  const childErrors: string[] = [];
  const checkersStopped: string[] = [];
  const applied: RouteChange[] = [];
  const machine = managerMachine.provide({
    actors: {
      interface: interfaceMachine.provide({
        actors: {
          bringUp: bringUp.logic,
          bringDown: bringDown.logic,
          daemons: fromCallback(() => {}),
        },
        actions: {
          // The link report reaches an interface in every state: the place for a fault.
          setPresence: enqueueActions(({ event, enqueue }) => {
            if (faults.interface) {
              faults.interface = false;
              throw new Error("bug in the interface");
            }
            enqueue.assign({ present: (event as { present: boolean }).present });
          }),
        },
      }),
      // Probes never finish and reports are the test's: the checker is driven like the interfaces.
      checker: connectivityCheckerMachine.provide({
        actors: { probe: fromPromise<ProbeResult, ProbeInput>(() => new Promise(() => {})) },
        actions: { reportStatus: () => {}, reportCheck: () => {} },
        guards: { becameUsable: faultyLinkGuard(true), becameUnusable: faultyLinkGuard(false) },
      }),
      // The device is being powered on for as long as the test runs.
      powerManager: powerManagerMachine.provide({
        actors: {
          init: fromPromise<number, PowerCallInput>(async () => 0),
          powerOn: fromPromise<number, PowerCallInput>(() => new Promise(() => {})),
        },
        actions: {
          // Power requests reach it in every state it gets to here: the place for a fault.
          wantOn: enqueueActions(({ enqueue }) => {
            if (faults.power) {
              faults.power = false;
              throw new Error("bug in the power manager");
            }
            enqueue.assign({ desired: "on" });
          }),
        },
      }),
      routeManager: routeManagerMachine.provide({
        actors: {
          readKernel: fromPromise(async (): Promise<KernelRoutes> => structuredClone(kernel)),
          applyChanges: fromPromise(async ({ input: { changes } }) => {
            applied.push(...changes);
          }),
        },
        guards: {
          // Checked for every report in every state: the place for a fault.
          isUsable: ({ event }) => {
            if (faults.routeManager) {
              faults.routeManager = false;
              throw new Error("bug in the route manager");
            }
            return routeReportProblem(event) === undefined;
          },
        },
      }),
    },
    actions: {
      setNameServers: (_, params) => nameServers.push(params),
      interfaceRemoved: (_, { ifname }) => removed.push(ifname),
      reportChildError: (_, { id }) => childErrors.push(id),
      checkerStopped: (_, { ifname }) => checkersStopped.push(ifname),
    },
  });
  const clock = new SimulatedClock();
  const respawnsDue = new Map<string, number>();
  /** Events delivered to each child, by actor id. */
  const delivered: Array<{ to: string; type: string }> = [];
  const actor = createActor(machine, {
    input: startInput,
    clock,
    inspect: (inspection) => {
      if (inspection.type === "@xstate.event") {
        delivered.push({
          to: (inspection.actorRef as AnyActorRef).id,
          type: inspection.event.type,
        });
      }
      recorder.inspect(inspection);
    },
  });
  actor.start();
  const child = (id: string) => actor.getSnapshot().children[id] as AnyActorRef | undefined;

  /** Failures are due one after the other, as they are in the model. */
  function scheduleRespawn(id: string): void {
    if ([...respawnsDue.values()].includes(clock.now() + RESPAWN_DELAY_MS)) clock.increment(1);
    respawnsDue.set(id, clock.now() + RESPAWN_DELAY_MS);
  }

  async function perform(event: AnyEvent): Promise<void> {
    await settle();
    switch (event.type) {
      case "interface.stopped":
        // The interface's down commands finish; it reports itself stopped.
        bringDown.current().resolve();
        break;
      case `xstate.error.actor.${ETH0}`:
        // A failure on the way out ends the actor; only a running one is replaced.
        if (actor.getSnapshot().context.phases.eth0 === "running") scheduleRespawn(ETH0);
        // A bug in the interface actor: an action throws on its next transition.
        faults.interface = true;
        child(ETH0)?.send({ type: "link.present", present: false });
        break;
      case "child.respawn": {
        // Only the child that failed first comes back now.
        const [id, due] = [...respawnsDue.entries()].sort((a, b) => a[1] - b[1])[0] ?? [];
        if (id === undefined || due === undefined) throw new Error("no respawn is due");
        respawnsDue.delete(id);
        clock.increment(due - clock.now());
        break;
      }
      case `xstate.error.actor.${CHECKER}`:
        scheduleRespawn(CHECKER);
        faults.checker = true;
        child(CHECKER)?.send({ type: "link.changed", usable: true, reason: "test" });
        break;
      case `xstate.error.actor.${POWER}`:
        scheduleRespawn(POWER);
        faults.power = true;
        child(POWER)?.send({ type: "power.on" });
        break;
      case `xstate.error.actor.${ROUTE_MANAGER_ID}`:
        scheduleRespawn(ROUTE_MANAGER_ID);
        faults.routeManager = true;
        child(ROUTE_MANAGER_ID)?.send({ type: "route.refresh_metrics" });
        break;
      default:
        actor.send(event as never);
    }
    await settle();
  }

  return {
    actor,
    child,
    perform,
    nameServers,
    removed,
    childErrors,
    checkersStopped,
    delivered,
    applied,
    stop: () => actor.stop(),
  };
}

function connectionFor(context: ManagerContext) {
  const link = context.links.eth0;
  if (!link?.present || !link.lowerUp) return "disconnected";
  return context.checkers.eth0?.status ?? "lan";
}

describeEveryEdge("manager (root) machine, every path of its graph on a live actor", {
  machine: managerMachine,
  paths,
  minimumPaths: 50,
  start: (recorder, path) => startLiveActor(recorder, path.input),
  check: (live, step) => {
    const snapshot = live.actor.getSnapshot();
    expect(snapshot.status).toBe("active");
    const expected = (step.state as unknown as { context: ManagerContext }).context;
    const { context } = snapshot;
    expect(serialize(context)).toBe(serialize(expected));

    // One actor per interface, registered under its system id, and only while it has a phase.
    const eth0 = live.child(ETH0);
    expect(eth0 !== undefined).toBe(context.phases.eth0 !== undefined);
    expect(live.actor.system.get(ETH0)).toBe(eth0);
    if (eth0 && context.phases.eth0 === "running") {
      const childContext = eth0.getSnapshot().context;
      expect(childContext.pendingConfig ?? childContext.config).toEqual(context.configs.eth0);
    }
    if (eth0 && context.phases.eth0 === "stopping") {
      expect(eth0.getSnapshot().value).toBe("stopping");
    }

    // The route manager is always there and knows exactly the addresses the interfaces reported.
    const routeManager = live.child(ROUTE_MANAGER_ID);
    expect(live.actor.system.get(ROUTE_MANAGER_ID)).toBe(routeManager);
    if (context.respawning.includes(ROUTE_MANAGER_ID)) {
      expect(routeManager).toBeUndefined();
      return;
    }
    expect(routeManager).toBeDefined();
    const routeContext = routeManager?.getSnapshot().context as RouteManagerContext;
    const routing = routeContext.interfaces.eth0;
    // An interface neither configured nor running is forgotten by routing too.
    if (!context.configs.eth0 && !context.phases.eth0) expect(routing).toBeUndefined();
    const settings = context.ipv4.eth0;
    expect(routing?.addresses ?? []).toEqual(settings?.addresses ?? []);
    if (settings) expect(routing?.status).toBe(connectionFor(context));
    else expect(routing?.status ?? "disconnected").toBe("disconnected");
    // The power manager is there unless it failed and waits to be replaced.
    expect(live.child(POWER) !== undefined).toBe(!context.respawning.includes(POWER));
    // A checker runs exactly for an interface with an address.
    expect(live.child(CHECKER) !== undefined).toBe(context.checkers.eth0 !== undefined);
    if (context.checkers.eth0) expect(settings).toBeDefined();

    // resolv.conf follows the same reports.
    const lastNameServers = live.nameServers.filter((call) => call.ifname === "eth0").at(-1);
    expect(lastNameServers?.settings).toEqual(settings);
  },
});

describe("manager (root) machine, invariants over every state of the product graph", () => {
  const states = productPaths.flatMap((path) => {
    const last = path.steps.at(-1)?.state as unknown as { context: ManagerContext } | undefined;
    return last ? [last.context] : [];
  });

  it("walks the product graph", () => {
    expect(productPaths.length).toBeGreaterThan(lifecyclePaths.length + connectivityPaths.length);
  });

  it("runs a checker only for an interface with an address", () => {
    expect(states.filter((context) => context.checkers.eth0 && !context.ipv4.eth0)).toEqual([]);
  });

  it("keeps addresses only for an interface that is configured or has an actor", () => {
    const orphans = states.filter(
      (context) => context.ipv4.eth0 && !context.configs.eth0 && !context.phases.eth0,
    );
    expect(orphans).toEqual([]);
  });

  it("waits for each failed child once", () => {
    const twice = states.filter(
      (context) => new Set(context.respawning).size !== context.respawning.length,
    );
    expect(twice).toEqual([]);
  });
});

describe("manager (root) machine, behaviours", () => {
  it("starts a new config only after the old actor has stopped", async () => {
    const live = startLiveActor(new CoverageRecorder());
    const first = live.child(ETH0);
    await live.perform({ type: "config.remove", ifname: "eth0" });
    await live.perform({ type: "config.set", ifname: "eth0", config: STATIC });
    expect(live.child(ETH0)).toBe(first);
    await live.perform({ type: "interface.stopped", ifname: "eth0" });
    const second = live.child(ETH0);
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect(second?.getSnapshot().context.config).toEqual(STATIC);
    expect(live.removed).toEqual([]);
    live.actor.stop();
  });

  it("clears what a removed interface published once its actor is gone", async () => {
    const live = startLiveActor(new CoverageRecorder());
    await live.perform({ type: "interface.ipv4", ifname: "eth0", settings: LEASE });
    await live.perform({ type: "config.remove", ifname: "eth0" });
    expect(live.removed).toEqual([]);
    await live.perform({ type: "interface.stopped", ifname: "eth0" });
    expect(live.removed).toEqual(["eth0"]);
    expect(live.child(ETH0)).toBeUndefined();
    expect(live.nameServers.at(-1)).toEqual({ ifname: "eth0", settings: undefined });
    live.actor.stop();
  });

  it("replaces a failed interface actor with a fresh one and logs it", async () => {
    const live = startLiveActor(new CoverageRecorder());
    const first = live.child(ETH0);
    await live.perform({ type: `xstate.error.actor.${ETH0}` });
    expect(live.childErrors).toEqual([ETH0]);
    expect(live.child(ETH0)).toBeUndefined();
    await live.perform({ type: "child.respawn" });
    expect(live.child(ETH0)).toBeDefined();
    expect(live.child(ETH0)).not.toBe(first);
    expect(live.child(ETH0)?.getSnapshot().status).toBe("active");
    expect(live.actor.getSnapshot().status).toBe("active");
    live.actor.stop();
  });

  it("takes over settings already in place, so their routes are kept, and drops them when the link goes", async () => {
    const live = startLiveActor(new CoverageRecorder(), {
      ...input,
      interfaces: { eth0: STATIC },
      planner: builtinPlanner,
      ipv4: { eth0: LEASE },
    });
    await settle();
    const routing = () => {
      const context = live.child(ROUTE_MANAGER_ID)?.getSnapshot().context as RouteManagerContext;
      return context.interfaces.eth0;
    };
    expect(routing()).toEqual({
      addresses: LEASE.addresses,
      gateway: LEASE.gateway,
      status: "lan",
      reason: "carrier up",
      routeClass: "ethernet",
    });
    await live.perform({ type: "link.changed", ifname: "eth0", present: false, lowerUp: false });
    expect(routing()?.addresses).toEqual([]);
    expect(live.actor.getSnapshot().context.ipv4).toEqual({});
    live.actor.stop();
  });
});

describe("manager (root) machine, 802.1X ports", () => {
  it("treats a closed port like a pulled cable: no routes and a paused checker until it opens", async () => {
    const live = startLiveActor(new CoverageRecorder());
    await live.perform({ type: "interface.ipv4", ifname: "eth0", settings: LEASE });
    const routing = () =>
      (live.child(ROUTE_MANAGER_ID)?.getSnapshot().context as RouteManagerContext | undefined)
        ?.interfaces.eth0;
    const checkerUsable = () =>
      (live.child(CHECKER)?.getSnapshot().context as CheckerContext | undefined)?.usable;
    expect(routing()?.status).toBe("lan");
    expect(checkerUsable()).toBe(true);

    const port = (portAuthorized: boolean | undefined) =>
      live.perform({
        type: "link.changed",
        ifname: "eth0",
        present: true,
        lowerUp: true,
        portAuthorized,
      });
    await port(false);
    expect(routing()).toMatchObject({
      status: "disconnected",
      reason: "802.1X port not authorized",
    });
    expect(checkerUsable()).toBe(false);
    await port(true);
    expect(routing()?.status).toBe("lan");
    expect(checkerUsable()).toBe(true);
    // Authentication switched off again: the link is what the kernel says.
    await port(false);
    await port(undefined);
    expect(routing()?.status).toBe("lan");
    live.stop();
  });
});

describe("manager (root) machine, connectivity timings", () => {
  const withTimings = (intervalMs: number): InterfaceConfig => ({
    type: "ethernet",
    ipv4: { method: "dhcp" },
    connectivity: { intervalMs },
  });
  const checkerSettings = (live: ReturnType<typeof startLiveActor>) =>
    (live.child(CHECKER)?.getSnapshot().context as CheckerContext | undefined)?.settings;

  it("gives the interface's own timings precedence over the manager's", async () => {
    const live = startLiveActor(new CoverageRecorder(), {
      ...input,
      interfaces: { eth0: withTimings(3_000) },
      planner: builtinPlanner,
      connectivity: { intervalMs: 5_000, timeoutMs: 700 },
    });
    await live.perform({ type: "interface.ipv4", ifname: "eth0", settings: LEASE });
    expect(checkerSettings(live)).toMatchObject({ intervalMs: 3_000, timeoutMs: 700 });
    live.stop();
  });

  it("gives a mobile interface the gentler schedule, at internet and at lan", async () => {
    const live = startLiveActor(new CoverageRecorder(), {
      ...input,
      interfaces: { wwan0: DHCP },
      links: { wwan0: { present: true, lowerUp: true } },
      powerManagers: {},
    });
    await live.perform({ type: "interface.ipv4", ifname: "wwan0", settings: LEASE });
    const settings = (
      live.child(checkerActorId("wwan0"))?.getSnapshot().context as CheckerContext | undefined
    )?.settings;
    expect(settings).toMatchObject({
      intervalMs: 5_000,
      lanIntervalMs: 15_000,
      lanBackoffMaxMs: 300_000,
      maxBytesPerDay: 980_000,
    });
    live.stop();
  });

  it("checks within half a power manager's watchdog: at internet always, at lan with petWhen lan", async () => {
    const settingsWith = async (petWhen: "internet" | "lan") => {
      const live = startLiveActor(new CoverageRecorder(), {
        ...input,
        interfaces: { eth0: withTimings(60_000) },
        powerManagers: { eth0: { petWhen, settings: { watchdogTimeoutMs: 20_000 } } },
      });
      await live.perform({ type: "interface.ipv4", ifname: "eth0", settings: LEASE });
      const settings = checkerSettings(live);
      live.stop();
      return settings;
    };
    // Every check at internet pets the watchdog; a 60 s interval would miss a 20 s one.
    expect(await settingsWith("internet")).toMatchObject({
      intervalMs: 10_000,
      lanIntervalMs: 3_000,
      lanBackoffMaxMs: 30_000,
    });
    // With petWhen lan, the checks at lan pet it too: their backoff stops at the same limit.
    expect(await settingsWith("lan")).toMatchObject({
      intervalMs: 10_000,
      lanIntervalMs: 3_000,
      lanBackoffMaxMs: 10_000,
    });
    // And a byte budget that pays for a check that often, a connect that got through each.
    expect(checkingWithinWatchdog({ maxBytesPerDay: 10_000 }, 20_000, "internet")).toMatchObject({
      maxBytesPerDay: Math.ceil((86_400_000 / 10_000) * 2 * 300),
    });
    expect(
      checkingWithinWatchdog({ maxBytesPerDay: 9_000_000 }, 20_000, "internet").maxBytesPerDay,
    ).toBe(9_000_000);
  });

  it("hands a changed configuration's timings to the running checker", async () => {
    const live = startLiveActor(new CoverageRecorder());
    await live.perform({ type: "interface.ipv4", ifname: "eth0", settings: LEASE });
    const checker = live.child(CHECKER);
    await live.perform({ type: "config.set", ifname: "eth0", config: withTimings(1_500) });
    expect(live.child(CHECKER)).toBe(checker);
    expect(checkerSettings(live)?.intervalMs).toBe(1_500);
    live.stop();
  });
});

describe("manager (root) machine, traffic evidence", () => {
  it("passes what the device's traffic showed to the interface's checker, and only if it has one", async () => {
    const live = startLiveActor(new CoverageRecorder());
    const toChecker = () =>
      live.delivered.filter((event) => event.to === CHECKER).map((event) => event.type);
    await live.perform({ type: "traffic.observed", ifname: "eth0", evidence: "seen" });
    expect(toChecker()).toEqual([]);
    await live.perform({ type: "interface.ipv4", ifname: "eth0", settings: LEASE });
    await live.perform({ type: "traffic.observed", ifname: "eth0", evidence: "seen" });
    await live.perform({ type: "traffic.observed", ifname: "eth0", evidence: "stalled" });
    expect(toChecker().filter((type) => type.startsWith("traffic."))).toEqual([
      "traffic.seen",
      "traffic.stalled",
    ]);
    live.stop();
  });
});

describe("manager (root) machine, checker details", () => {
  it("lets the shell clear a checker's details when the checker goes with the address", async () => {
    const live = startLiveActor(new CoverageRecorder());
    await live.perform({ type: "interface.ipv4", ifname: "eth0", settings: LEASE });
    expect(live.checkersStopped).toEqual([]);
    await live.perform({ type: "interface.ipv4_cleared", ifname: "eth0" });
    expect(live.checkersStopped).toEqual(["eth0"]);
    live.stop();
  });
});

describe("manager (root) machine, power managers", () => {
  /** Requests the root sent to the power manager (not its own init and call results). */
  const toPower = (live: ReturnType<typeof startLiveActor>) =>
    live.delivered
      .filter((event) => event.to === POWER && !event.type.startsWith("xstate."))
      .map((event) => event.type);

  it("powers the device on with a configuration and off without one, or with a null one", async () => {
    const live = startLiveActor(new CoverageRecorder());
    expect(toPower(live)).toEqual(["power.on"]);
    await live.perform({ type: "config.set", ifname: "eth0", config: { type: "null" } });
    await live.perform({ type: "config.remove", ifname: "eth0" });
    expect(toPower(live)).toEqual(["power.on", "power.off", "power.off"]);
    live.stop();
  });

  it("pets the watchdog when a check reached the Internet, or with petWhen lan while the link works", async () => {
    const checks = async (petWhen: "internet" | "lan") => {
      const live = startLiveActor(new CoverageRecorder(), {
        ...input,
        powerManagers: { eth0: { petWhen } },
      });
      await live.perform({ type: "interface.ipv4", ifname: "eth0", settings: LEASE });
      await live.perform({ type: "connectivity.checked", ifname: "eth0", reachable: false });
      const pets = () => toPower(live).filter((type) => type === "watchdog.pet").length;
      const afterFailure = pets();
      await live.perform({ type: "connectivity.checked", ifname: "eth0", reachable: true });
      const afterSuccess = pets();
      await live.perform({ type: "link.changed", ifname: "eth0", present: true, lowerUp: false });
      await live.perform({ type: "connectivity.checked", ifname: "eth0", reachable: false });
      const withoutCarrier = pets();
      live.stop();
      return [afterFailure, afterSuccess, withoutCarrier];
    };
    expect(await checks("internet")).toEqual([0, 1, 1]);
    expect(await checks("lan")).toEqual([1, 2, 2]);
  });

  it("restarts the interface when its power manager asks, and passes on forced resets and pets", async () => {
    const live = startLiveActor(new CoverageRecorder());
    await live.perform({ type: "power.restart_interface", ifname: "eth0" });
    expect(
      live.delivered.filter((event) => event.to === ETH0).map((event) => event.type),
    ).toContain("interface.restart");
    await live.perform({ type: "power.force_reset", ifname: "eth0" });
    await live.perform({ type: "watchdog.pet", ifname: "eth0" });
    expect(toPower(live).slice(-2)).toEqual(["power.force_reset", "watchdog.pet"]);
    live.stop();
  });

  it("tells a replaced power manager what the configuration wants", async () => {
    const live = startLiveActor(new CoverageRecorder());
    const first = live.child(POWER);
    await live.perform({ type: `xstate.error.actor.${POWER}` });
    expect(live.child(POWER)).toBeUndefined();
    await live.perform({ type: "child.respawn" });
    expect(live.child(POWER)).not.toBe(first);
    expect(toPower(live).at(-1)).toBe("power.on");
    live.stop();
  });
});

describe("manager (root) machine, interfaces statenet leaves alone or cannot find", () => {
  const NULL: InterfaceConfig = { type: "null" };
  /** Someone else's default route on usb0. */
  const FOREIGN: DefaultRouteEntry = {
    kind: "default_route",
    ifname: "usb0",
    gateway: "203.0.113.1",
    metric: 0,
    table: "main",
  };
  const routing = (live: ReturnType<typeof startLiveActor>) => {
    const routeManager = live.child(ROUTE_MANAGER_ID);
    if (!routeManager) throw new Error("no route manager");
    return (routeManager.getSnapshot().context as RouteManagerContext).interfaces;
  };

  it("leaves a null interface out of routing: its foreign default route is not claimed", async () => {
    const live = startLiveActor(
      new CoverageRecorder(),
      { ...input, interfaces: { eth0: DHCP, usb0: NULL }, powerManagers: {} },
      { owned: [], foreign: [FOREIGN] },
    );
    await settle();
    expect(Object.keys(routing(live))).toEqual(["eth0"]);
    const routeContext = live.child(ROUTE_MANAGER_ID)?.getSnapshot().context as RouteManagerContext;
    expect(routeContext.foreign).toEqual([FOREIGN]);
    expect(live.applied.filter((change) => JSON.stringify(change).includes("usb0"))).toEqual([]);
    // It still has an interface actor, configured with nothing to do.
    expect(live.child(interfaceActorId("usb0"))).toBeDefined();
    live.stop();
  });

  it("claims the interface's routes once it gets a config that manages it, and lets go under null", async () => {
    const live = startLiveActor(
      new CoverageRecorder(),
      { ...input, interfaces: { usb0: NULL }, powerManagers: {} },
      { owned: [], foreign: [FOREIGN] },
    );
    await settle();
    expect(routing(live).usb0).toBeUndefined();
    await live.perform({ type: "config.set", ifname: "usb0", config: DHCP });
    expect(routing(live).usb0?.status).toBe("disconnected");
    // The stale default route on an interface statenet now manages goes.
    expect(live.applied).toContainEqual({ op: "del", entry: FOREIGN });
    await live.perform({ type: "config.set", ifname: "usb0", config: NULL });
    expect(routing(live).usb0).toBeUndefined();
    live.stop();
  });

  it("keeps the routes of addresses statenet set until they go, when the config turns null", async () => {
    const live = startLiveActor(new CoverageRecorder(), { ...input, powerManagers: {} });
    await live.perform({ type: "interface.ipv4", ifname: "eth0", settings: LEASE });
    await live.perform({ type: "config.set", ifname: "eth0", config: NULL });
    expect(routing(live).eth0?.addresses).toEqual(LEASE.addresses);
    await live.perform({ type: "interface.ipv4_cleared", ifname: "eth0" });
    expect(routing(live).eth0).toBeUndefined();
    live.stop();
  });

  it("tells routing that a configured interface the kernel does not have is disconnected, and why", async () => {
    const live = startLiveActor(new CoverageRecorder(), {
      ...input,
      links: {},
      powerManagers: {},
    });
    await settle();
    expect(routing(live).eth0).toEqual({
      addresses: [],
      gateway: undefined,
      status: "disconnected",
      reason: "interface absent",
    });
    expect(live.child(ETH0)?.getSnapshot().value).toBe("waitingForInterface");
    // One configured at run time, on a link without carrier.
    await live.perform({ type: "link.changed", ifname: "eth1", present: true, lowerUp: false });
    await live.perform({ type: "config.set", ifname: "eth1", config: DHCP });
    expect(routing(live).eth1).toMatchObject({ status: "disconnected", reason: "no carrier" });
    await live.perform({ type: "link.changed", ifname: "eth2", present: true, lowerUp: true });
    await live.perform({ type: "config.set", ifname: "eth2", config: DHCP });
    expect(routing(live).eth2).toMatchObject({
      status: "disconnected",
      reason: "no IPv4 address",
    });
    live.stop();
  });
});
