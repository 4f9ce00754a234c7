import { type ActorRefFrom, enqueueActions, setup } from "xstate";
import type { InterfaceConfig } from "../src/config/schema.js";
import { interfaceTypeFromName } from "../src/route/interface-type.js";
import type { InterfaceType } from "../src/route/types.js";
import type { TechnologyPlanner } from "../src/technologies/technology.js";
import type { Ipv4Settings } from "../src/technologies/types.js";
import {
  type CheckerReport,
  type ConnectivitySettings,
  type ConnectivityStatus,
  checkingWithinWatchdog,
  connectivityCheckerMachine,
  MOBILE_CONNECTIVITY,
} from "./connectivity-checker.js";
import { type InterfaceReport, interfaceMachine, leavesInterfaceAlone } from "./interface.js";
import {
  DEFAULT_POWER_SETTINGS,
  type PowerReport,
  type PowerSettings,
  powerManagerMachine,
} from "./power-manager.js";
import {
  type InterfaceRouting,
  type RouteManagerEvent,
  type RouteManagerInput,
  routeManagerMachine,
} from "./route-manager.js";

/**
 * The root actor: one interface actor per configured interface plus the route
 * manager. It turns what the interfaces and the kernel report into route
 * reprioritisation events, and replaces a child that fails.
 */

export interface LinkReport {
  present: boolean;
  lowerUp: boolean;
  /**
   * Whether the link carries traffic beyond its carrier: a wired 802.1X port
   * authorized, a WiFi station associated. Absent where no daemon decides;
   * while false the link is as good as unplugged.
   */
  portAuthorized?: boolean | undefined;
  /** Why it does not (for logs and properties); by default an 802.1X port is meant. */
  portReason?: string | undefined;
}

export interface ManagerInput {
  interfaces: Readonly<Record<string, InterfaceConfig>>;
  /** The registered technologies' plans: the machine never looks inside a config. */
  planner: TechnologyPlanner;
  /** What the kernel says about links at start. */
  links?: Readonly<Record<string, LinkReport>>;
  /**
   * Settings already on the interfaces (a restarted manager taking over): the
   * route manager keeps their routes instead of removing them until the
   * interfaces report again.
   */
  ipv4?: Readonly<Record<string, Ipv4Settings>>;
  routes?: RouteManagerInput;
  retryDelayMs?: number;
  commandTimeoutMs?: number;
  /** Wait before replacing a child actor that failed. */
  respawnDelayMs?: number;
  /**
   * Check Internet reachability of the interfaces whose technology can reach
   * it (the shell says so unless `internetHosts` is `[]`); without, working
   * links are `lan`.
   */
  checkInternet?: boolean;
  /** Overrides of the checker's timings for every interface. */
  connectivity?: Partial<ConnectivitySettings>;
  /** A power-manager watchdog per interface that has one. */
  powerManagers?: Readonly<Record<string, PowerManagerOptions>>;
}

export interface PowerManagerOptions {
  settings?: Partial<PowerSettings>;
  /** Pet the watchdog while the interface reaches the Internet (default), or already while it has a working link. */
  petWhen?: "internet" | "lan";
}

type ChildPhase = "running" | "stopping";

export interface ManagerContext {
  configs: Record<string, InterfaceConfig>;
  planner: TechnologyPlanner;
  phases: Record<string, ChildPhase>;
  /** Config to start once an interface's old actor has stopped; null: stay stopped. */
  pending: Record<string, InterfaceConfig | null>;
  links: Record<string, LinkReport>;
  /** Interfaces with IPv4 settings (their routes are desired). */
  ipv4: Record<string, Ipv4Settings>;
  retryDelayMs: number | undefined;
  commandTimeoutMs: number | undefined;
  routes: RouteManagerInput;
  /** Children that failed and will be replaced after the respawn delay. */
  respawning: string[];
  respawnDelayMs: number;
  checkInternet: boolean;
  connectivity: Partial<ConnectivitySettings>;
  /** Interfaces with a running connectivity checker, and what it last said. */
  checkers: Record<string, { status: ConnectivityStatus; reason: string }>;
  powerManagers: Record<string, PowerManagerOptions>;
}

export type ManagerEvent =
  | { type: "config.set"; ifname: string; config: InterfaceConfig }
  | { type: "config.remove"; ifname: string }
  | ({ type: "link.changed"; ifname: string } & LinkReport)
  | InterfaceReport
  | CheckerReport
  | PowerReport
  /** From the API or the CLI: power-cycle the interface's device now. */
  | { type: "power.force_reset"; ifname: string }
  /** From the API: the app says the device works. */
  | { type: "watchdog.pet"; ifname: string }
  /** What the device's own TCP traffic through an interface showed (the shell samples it). */
  | { type: "traffic.observed"; ifname: string; evidence: "seen" | "stalled" }
  | { type: "child.respawn"; id: string }
  | { type: "routing.sync"; ifname: string }
  | { type: "interface.removed"; ifname: string }
  | { type: `xstate.error.actor.${string}`; error: unknown };

export const ROUTE_MANAGER_ID = "routeManager";
const DEFAULT_RESPAWN_DELAY_MS = 1_000;
export const interfaceActorId = (ifname: string) => `interface:${ifname}`;
export const checkerActorId = (ifname: string) => `connectivity:${ifname}`;
export const powerActorId = (ifname: string) => `power:${ifname}`;

const CHILD_KINDS = ["interface", "connectivity", "power"] as const;
type ChildKind = (typeof CHILD_KINDS)[number];

/** Which kind of child an actor id names, and for which interface. */
function childOf(id: string): { kind: ChildKind; ifname: string } | undefined {
  const [kind, ifname] = [id.slice(0, id.indexOf(":")), id.slice(id.indexOf(":") + 1)];
  return (CHILD_KINDS as readonly string[]).includes(kind)
    ? { kind: kind as ChildKind, ifname }
    : undefined;
}

const NO_LINK: LinkReport = { present: false, lowerUp: false };

/** The report alone, without the event's other fields. */
function linkReportOf({ present, lowerUp, portAuthorized, portReason }: LinkReport): LinkReport {
  if (portAuthorized === undefined) return { present, lowerUp };
  return portReason === undefined
    ? { present, lowerUp, portAuthorized }
    : { present, lowerUp, portAuthorized, portReason };
}

/** What routing should believe about an interface's link. */
function connectionOf(link: LinkReport): { status: "disconnected" | "lan"; reason: string } {
  if (!link.present) return { status: "disconnected", reason: "interface absent" };
  if (!link.lowerUp) return { status: "disconnected", reason: "no carrier" };
  if (link.portAuthorized === false) {
    return { status: "disconnected", reason: link.portReason ?? "802.1X port not authorized" };
  }
  return { status: "lan", reason: "carrier up" };
}

/** A working link is as good as its connectivity checker says, if it has one. */
function connectionFor(
  context: ManagerContext,
  ifname: string,
): { status: ConnectivityStatus; reason: string } {
  const link = connectionOf(context.links[ifname] ?? NO_LINK);
  return link.status === "lan" ? (context.checkers[ifname] ?? link) : link;
}

/** A power manager is configured and not waiting to be replaced after a failure. */
function hasPowerManager(context: ManagerContext, ifname: string): boolean {
  return (
    context.powerManagers[ifname] !== undefined &&
    !context.respawning.includes(powerActorId(ifname))
  );
}

/** Whether an interface gets a connectivity checker. */
function wantsChecker(context: ManagerContext, ifname: string): boolean {
  const config = context.configs[ifname];
  return (
    context.checkInternet &&
    config !== undefined &&
    context.planner(ifname, config).reaches === "internet"
  );
}

/** What the checker is told about its link: usable with carrier (an open port) and an address. */
function checkerLink(context: ManagerContext, ifname: string, reason: string) {
  const link = context.links[ifname] ?? NO_LINK;
  const settings = context.ipv4[ifname];
  return {
    usable: connectionOf(link).status === "lan" && settings !== undefined,
    reason,
    address: settings?.addresses[0]?.address,
    nameServers: settings?.nameServers ?? [],
  };
}

/** The technology's class of a configured interface; a running one without config, by name. */
function routeClassOf(context: ManagerContext, ifname: string): InterfaceType {
  const config = context.configs[ifname];
  return config ? context.planner(ifname, config).routeClass : interfaceTypeFromName(ifname);
}

/**
 * Timings, most specific last: the type's defaults, the manager's, the
 * interface's config; then kept often enough for a power manager's watchdog.
 */
function checkerSettings(context: ManagerContext, ifname: string): Partial<ConnectivitySettings> {
  const config = context.configs[ifname];
  const mobile = routeClassOf(context, ifname) === "mobile" ? MOBILE_CONNECTIVITY : {};
  const own = config && "connectivity" in config ? config.connectivity : undefined;
  const settings = { ...mobile, ...context.connectivity, ...own };
  const power = context.powerManagers[ifname];
  if (!power) return settings;
  const watchdogMs = power.settings?.watchdogTimeoutMs ?? DEFAULT_POWER_SETTINGS.watchdogTimeoutMs;
  return checkingWithinWatchdog(settings, watchdogMs, power.petWhen ?? "internet");
}

function checkerOptions(context: ManagerContext, ifname: string) {
  const { reason: _reason, ...link } = checkerLink(context, ifname, "starting");
  return {
    id: checkerActorId(ifname),
    systemId: checkerActorId(ifname),
    input: { ifname, ...link, settings: checkerSettings(context, ifname) },
  };
}

/**
 * Whether routing decides the interface's routes: configured by a plan that
 * does something, or on its way out. One left alone (null) is someone
 * else's, default routes included.
 */
function routesManaged(context: ManagerContext, ifname: string): boolean {
  const config = context.configs[ifname];
  if (config) return !leavesInterfaceAlone(context.planner(ifname, config));
  return context.phases[ifname] !== undefined;
}

/**
 * Status before addresses: the route manager then computes the routes once,
 * with the right metric, instead of publishing a passing "disconnected".
 */
function routeEventsFor(context: ManagerContext, ifname: string): RouteManagerEvent[] {
  const settings = context.ipv4[ifname];
  // Addresses statenet set keep their routes until they go, whatever the config says now.
  if (!settings && !routesManaged(context, ifname)) {
    return [{ type: "route.remove_interface", ifname }];
  }
  if (!settings) {
    const link = connectionOf(context.links[ifname] ?? NO_LINK);
    const reason = link.status === "disconnected" ? link.reason : "no IPv4 address";
    return [
      { type: "route.set_connection", ifname, status: "disconnected", reason },
      { type: "route.clear_addresses", ifname },
    ];
  }
  return [
    { type: "route.set_connection", ifname, ...connectionFor(context, ifname) },
    {
      type: "route.set_addresses",
      ifname,
      addresses: settings.addresses,
      gateway: settings.gateway,
      routeClass: routeClassOf(context, ifname),
    },
  ];
}

/** Everything a fresh route manager must be told. */
function knownRouting(context: ManagerContext): Record<string, InterfaceRouting> {
  return Object.fromEntries(
    Object.entries(context.ipv4).map(([ifname, settings]) => [
      ifname,
      {
        addresses: settings.addresses,
        gateway: settings.gateway,
        routeClass: routeClassOf(context, ifname),
        ...connectionFor(context, ifname),
      },
    ]),
  );
}

function powerOptions(context: ManagerContext, ifname: string) {
  return {
    id: powerActorId(ifname),
    systemId: powerActorId(ifname),
    input: { ifname, settings: context.powerManagers[ifname]?.settings },
  };
}

/** A configured interface wants its device powered, unless its technology keeps it off (`null`). */
function powerRequest(
  context: ManagerContext,
  ifname: string,
  config: InterfaceConfig | undefined,
) {
  const on = config !== undefined && !context.planner(ifname, config).deviceOff;
  return { type: on ? "power.on" : "power.off" } as const;
}

function routeManagerOptions(context: ManagerContext) {
  return {
    id: ROUTE_MANAGER_ID,
    systemId: ROUTE_MANAGER_ID,
    input: { ...context.routes, interfaces: knownRouting(context) },
  };
}

export const managerMachine = setup({
  types: {
    context: {} as ManagerContext,
    events: {} as ManagerEvent,
    input: {} as ManagerInput,
  },
  actors: {
    interface: interfaceMachine,
    routeManager: routeManagerMachine,
    checker: connectivityCheckerMachine,
    powerManager: powerManagerMachine,
  },
  delays: {
    respawnDelay: ({ context }) => context.respawnDelayMs,
  },
  actions: {
    /** The shell updates resolv.conf; `settings` undefined clears the interface's servers. */
    setNameServers: (_, _params: { ifname: string; settings: Ipv4Settings | undefined }) => {},
    /** The shell clears an interface's properties once its actor is gone. */
    interfaceRemoved: (_, _params: { ifname: string }) => {},
    reportChildError: (_, _params: { id: string; error: unknown }) => {},
    /** The shell clears what a checker published once it is gone. */
    checkerStopped: (_, _params: { ifname: string }) => {},
    /** The shell logs every status change with its reason. */
    connectivityChanged: (
      _,
      _params: { ifname: string; status: ConnectivityStatus; reason: string },
    ) => {},
  },
}).createMachine({
  id: "manager",
  context: ({ input }) => ({
    configs: { ...input.interfaces },
    planner: input.planner,
    phases: {},
    pending: {},
    links: { ...input.links },
    ipv4: { ...input.ipv4 },
    retryDelayMs: input.retryDelayMs,
    commandTimeoutMs: input.commandTimeoutMs,
    routes: input.routes ?? {},
    respawning: [],
    respawnDelayMs: input.respawnDelayMs ?? DEFAULT_RESPAWN_DELAY_MS,
    checkInternet: input.checkInternet ?? false,
    connectivity: input.connectivity ?? {},
    checkers: {},
    powerManagers: { ...input.powerManagers },
  }),
  entry: enqueueActions(({ context, enqueue }) => {
    enqueue.spawnChild("routeManager", routeManagerOptions(context));
    // Before the interfaces: configuring one powers its device on.
    for (const ifname of Object.keys(context.powerManagers)) {
      enqueue.spawnChild("powerManager", powerOptions(context, ifname));
    }
    // Through the one place that starts interfaces.
    for (const [ifname, config] of Object.entries(context.configs)) {
      enqueue.raise({ type: "config.set", ifname, config });
    }
  }),
  on: {
    "config.set": {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const { ifname, config } = event;
        const phase = context.phases[ifname];
        if (hasPowerManager(context, ifname)) {
          enqueue.sendTo(powerActorId(ifname), powerRequest(context, ifname, config));
        }
        if (phase === "stopping") {
          enqueue.assign({ pending: { ...context.pending, [ifname]: config } });
          return;
        }
        const configs = { ...context.configs, [ifname]: config };
        enqueue.assign({ configs });
        // Routing learns of it now: a configured interface is `disconnected` until it works.
        enqueue.raise({ type: "routing.sync", ifname });
        if (phase === "running") {
          enqueue.sendTo(interfaceActorId(ifname), { type: "config.changed", config });
          if (context.checkers[ifname]) {
            enqueue.sendTo(checkerActorId(ifname), {
              type: "settings.changed",
              settings: checkerSettings({ ...context, configs }, ifname),
            });
          }
          return;
        }
        enqueue.spawnChild("interface", {
          id: interfaceActorId(ifname),
          systemId: interfaceActorId(ifname),
          input: {
            ifname,
            config,
            planner: context.planner,
            present: (context.links[ifname] ?? NO_LINK).present,
            retryDelayMs: context.retryDelayMs,
            commandTimeoutMs: context.commandTimeoutMs,
          },
        });
        enqueue.assign({ phases: { ...context.phases, [ifname]: "running" } });
      }),
    },
    "config.remove": {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const { ifname } = event;
        const { [ifname]: _removed, ...configs } = context.configs;
        enqueue.assign({ configs });
        if (hasPowerManager(context, ifname)) {
          enqueue.sendTo(powerActorId(ifname), powerRequest(context, ifname, undefined));
        }
        const phase = context.phases[ifname];
        if (phase === "stopping") {
          enqueue.assign({ pending: { ...context.pending, [ifname]: null } });
        } else if (phase === "running") {
          enqueue.sendTo(interfaceActorId(ifname), { type: "interface.stop" });
          enqueue.assign({ phases: { ...context.phases, [ifname]: "stopping" } });
        } else {
          // No actor (it failed and waits to be replaced): nothing to take down.
          enqueue.raise({ type: "interface.removed", ifname });
        }
      }),
    },
    "interface.stopped": {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const { ifname } = event;
        enqueue.stopChild(interfaceActorId(ifname));
        const { [ifname]: next = null, ...pending } = context.pending;
        const { [ifname]: _phase, ...phases } = context.phases;
        enqueue.assign({ pending, phases });
        // Its addresses went with it, and with them what its checker had to check.
        enqueue.raise({ type: "interface.ipv4_cleared", ifname });
        if (next !== null) {
          enqueue.raise({ type: "routing.sync", ifname });
          enqueue.raise({ type: "config.set", ifname, config: next });
          return;
        }
        enqueue.raise({ type: "interface.removed", ifname });
      }),
    },
    "link.changed": {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const { ifname, present } = event;
        const previous = context.links[ifname] ?? NO_LINK;
        const link = connectionOf(event);
        enqueue.assign({ links: { ...context.links, [ifname]: linkReportOf(event) } });
        if (context.phases[ifname] === "running" && previous.present !== present) {
          enqueue.sendTo(interfaceActorId(ifname), { type: "link.present", present });
        }
        if (context.checkers[ifname]) {
          const next = { ...context, links: { ...context.links, [ifname]: linkReportOf(event) } };
          enqueue.sendTo(checkerActorId(ifname), {
            type: "link.changed",
            ...checkerLink(next, ifname, link.reason),
          });
        }
        if (!context.ipv4[ifname]) return;
        // A link that is gone took its addresses along.
        if (!present) enqueue.raise({ type: "interface.ipv4_cleared", ifname });
        else enqueue.raise({ type: "routing.sync", ifname });
      }),
    },
    "interface.ipv4": {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const { ifname, settings } = event;
        const next = { ...context, ipv4: { ...context.ipv4, [ifname]: settings } };
        enqueue.assign({ ipv4: next.ipv4 });
        if (context.checkers[ifname]) {
          enqueue.sendTo(checkerActorId(ifname), {
            type: "link.changed",
            ...checkerLink(next, ifname, "address changed"),
          });
        } else if (wantsChecker(next, ifname)) {
          enqueue.spawnChild("checker", checkerOptions(next, ifname));
          enqueue.assign({
            checkers: { ...context.checkers, [ifname]: { status: "lan", reason: "checking" } },
          });
        }
        enqueue.raise({ type: "routing.sync", ifname });
        enqueue({ type: "setNameServers", params: { ifname, settings } });
      }),
    },
    "interface.ipv4_cleared": {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const { ifname } = event;
        if (!context.ipv4[ifname]) return;
        const { [ifname]: _cleared, ...ipv4 } = context.ipv4;
        enqueue.assign({ ipv4 });
        if (context.checkers[ifname]) {
          // Nothing to check without an address; a new lease starts a fresh checker.
          enqueue.stopChild(checkerActorId(ifname));
          const { [ifname]: _stopped, ...checkers } = context.checkers;
          enqueue.assign({ checkers });
          enqueue({ type: "checkerStopped", params: { ifname } });
        }
        enqueue.raise({ type: "routing.sync", ifname });
        enqueue({ type: "setNameServers", params: { ifname, settings: undefined } });
      }),
    },
    /** Forget an interface that is no longer configured and has no actor. */
    "interface.removed": {
      actions: enqueueActions(({ event, enqueue }) => {
        const { ifname } = event;
        enqueue({ type: "interfaceRemoved", params: { ifname } });
        enqueue.raise({ type: "routing.sync", ifname });
      }),
    },
    // The one place that tells the route manager about an interface, from what the root knows.
    "routing.sync": {
      actions: enqueueActions(({ context, event, enqueue }) => {
        if (context.respawning.includes(ROUTE_MANAGER_ID)) return;
        for (const routeEvent of routeEventsFor(context, event.ifname)) {
          enqueue.sendTo(ROUTE_MANAGER_ID, routeEvent);
        }
      }),
    },
    "connectivity.changed": {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const { ifname, status, reason } = event;
        if (!context.checkers[ifname]) return;
        enqueue.assign({ checkers: { ...context.checkers, [ifname]: { status, reason } } });
        enqueue({ type: "connectivityChanged", params: { ifname, status, reason } });
        enqueue.raise({ type: "routing.sync", ifname });
      }),
    },
    // The interface works: its power manager's watchdog is petted here (issue 5).
    "connectivity.checked": {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const { ifname, reachable } = event;
        if (!hasPowerManager(context, ifname)) return;
        const lanIsEnough =
          context.powerManagers[ifname]?.petWhen === "lan" &&
          connectionFor(context, ifname).status !== "disconnected";
        if (reachable || lanIsEnough)
          enqueue.sendTo(powerActorId(ifname), { type: "watchdog.pet" });
      }),
    },
    "power.restart_interface": {
      actions: enqueueActions(({ context, event, enqueue }) => {
        if (context.phases[event.ifname] !== "running") return;
        enqueue.sendTo(interfaceActorId(event.ifname), { type: "interface.restart" });
      }),
    },
    "power.force_reset": {
      actions: enqueueActions(({ context, event, enqueue }) => {
        if (!hasPowerManager(context, event.ifname)) return;
        enqueue.sendTo(powerActorId(event.ifname), { type: "power.force_reset" });
      }),
    },
    "watchdog.pet": {
      actions: enqueueActions(({ context, event, enqueue }) => {
        if (!hasPowerManager(context, event.ifname)) return;
        enqueue.sendTo(powerActorId(event.ifname), { type: "watchdog.pet" });
      }),
    },
    "traffic.observed": {
      actions: enqueueActions(({ context, event, enqueue }) => {
        if (!context.checkers[event.ifname]) return;
        enqueue.sendTo(checkerActorId(event.ifname), { type: `traffic.${event.evidence}` });
      }),
    },
    "xstate.error.actor.*": {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const id = event.type.slice("xstate.error.actor.".length);
        enqueue({ type: "reportChildError", params: { id, error: event.error } });
        enqueue.stopChild(id);
        const child = childOf(id);
        if (child?.kind === "interface" && context.phases[child.ifname] === "stopping") {
          // It was on its way out anyway.
          enqueue.raise({ type: "interface.stopped", ifname: child.ifname });
          return;
        }
        if (child?.kind === "interface") {
          const { [child.ifname]: _phase, ...phases } = context.phases;
          enqueue.assign({ phases });
          enqueue.raise({ type: "interface.ipv4_cleared", ifname: child.ifname });
        }
        if (child?.kind === "connectivity") {
          const { [child.ifname]: _failed, ...checkers } = context.checkers;
          enqueue.assign({ checkers });
          enqueue({ type: "checkerStopped", params: { ifname: child.ifname } });
          enqueue.raise({ type: "routing.sync", ifname: child.ifname });
        }
        // Later, not at once: a child that fails as it starts must not spin the process.
        enqueue.assign({
          respawning: [...context.respawning.filter((waiting) => waiting !== id), id],
        });
        // One pending respawn per child: a second failure restarts its wait.
        enqueue.cancel(`respawn:${id}`);
        enqueue.raise(
          { type: "child.respawn", id },
          { id: `respawn:${id}`, delay: "respawnDelay" },
        );
      }),
    },
    "child.respawn": {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const { id } = event;
        enqueue.assign({ respawning: context.respawning.filter((waiting) => waiting !== id) });
        if (id === ROUTE_MANAGER_ID) {
          // A fresh route manager reads the kernel and is told every interface again.
          enqueue.spawnChild("routeManager", routeManagerOptions(context));
          return;
        }
        const child = childOf(id);
        if (child?.kind === "power") {
          // A fresh one starts at off: tell it what the interface's config wants.
          enqueue.spawnChild("powerManager", powerOptions(context, child.ifname));
          const config = context.configs[child.ifname];
          if (config) {
            enqueue.sendTo(powerActorId(child.ifname), powerRequest(context, child.ifname, config));
          }
          return;
        }
        if (child?.kind === "connectivity") {
          const { ifname } = child;
          if (context.checkers[ifname] || !context.ipv4[ifname] || !wantsChecker(context, ifname)) {
            return;
          }
          enqueue.spawnChild("checker", checkerOptions(context, ifname));
          enqueue.assign({
            checkers: { ...context.checkers, [ifname]: { status: "lan", reason: "checking" } },
          });
          enqueue.raise({ type: "routing.sync", ifname });
          return;
        }
        const config = child === undefined ? undefined : context.configs[child.ifname];
        if (child === undefined || !config || context.phases[child.ifname]) return;
        enqueue.raise({ type: "config.set", ifname: child.ifname, config });
      }),
    },
  },
});

export type ManagerMachine = typeof managerMachine;
export type ManagerActor = ActorRefFrom<ManagerMachine>;
