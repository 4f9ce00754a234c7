import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Actor, createActor, fromPromise } from "xstate";
import type { ConnectivitySettings, ConnectivityStatus } from "../machines/connectivity-checker.js";
import {
  type InterfaceStateName,
  interfaceMachine,
  leavesInterfaceAlone,
} from "../machines/interface.js";
import {
  type LinkReport,
  type ManagerMachine,
  managerMachine,
  type PowerManagerOptions,
  ROUTE_MANAGER_ID,
} from "../machines/manager.js";
import type { PowerStateName } from "../machines/power-manager.js";
import type {
  RouteManagerContext,
  RouteManagerInput,
  UnmanagedDefaultRoute,
} from "../machines/route-manager.js";
import {
  type ConfigSourceInfo,
  ConfigSources,
  NotConfiguredError,
  overridesFile,
} from "./config/config-source.js";
import { unreadableFiles } from "./config/named-files.js";
import { planReload, type ReloadResult } from "./config/reload.js";
import {
  type Config,
  type ConfigInput,
  type InterfaceConfig,
  type InterfaceConfigInput,
  LOOPBACK_INTERFACE,
  LOOPBACK_REFUSAL,
  type TechnologyConfigInput,
} from "./config/schema.js";
import { ConfigError, parseConfig, parseInterfaceConfig } from "./config/validate.js";
import { linuxCheckerMachine } from "./connectivity/linux-checker.js";
import { createProber, type Prober } from "./connectivity/prober.js";
import { TrafficWatcher, type WatchedInterface } from "./connectivity/traffic-watcher.js";
import { installHandler } from "./dhcp/handler-script.js";
import type { DhcpOptions } from "./dhcp/lease-event.js";
import { createReportServer, type ReportServer } from "./dhcp/report-server.js";
import type { EapState } from "./ieee8021x/supplicant-events.js";
import type { Inspection } from "./inspect/inspection.js";
import { type CommandRunner, createCommandRunner } from "./linux/command-runner.js";
import { endLeftoverDaemons } from "./linux/daemon-pids.js";
import { type InstanceLock, takeInstanceLock } from "./linux/instance-lock.js";
import { bringDown, bringUp, type CommandContext } from "./linux/interface-commands.js";
import { interfaceDaemons } from "./linux/interface-daemons.js";
import { assertInterfaceName } from "./linux/interface-name.js";
import { createInterfaceRenamer } from "./linux/interface-renamer.js";
import { createIpRunner } from "./linux/ip.js";
import { createKernelMonitor, type KernelMonitor } from "./linux/kernel-monitor.js";
import type { LinkAddress, LinkState } from "./linux/link-state.js";
import { linuxRouteManagerMachine, type RouteError } from "./linux/route-manager.js";
import { type RouteMonitor, startRouteMonitor } from "./linux/route-monitor.js";
import { type Logger, silentLogger, tapWarnings } from "./log.js";
import { ConfigStore } from "./persistence/config-store.js";
import { type KeySource, loadDeviceKey } from "./persistence/device-key.js";
import type { PowerManagerImplementation } from "./power/implementation.js";
import { powerShell } from "./power/linux-power.js";
import {
  collectPowerManagers,
  type InProcessPowerManager,
  NoPowerManagerError,
} from "./power/power-managers.js";
import {
  type PropertyListener,
  PropertyTable,
  type TimestampedValue,
} from "./properties/property-table.js";
import { NameResolver } from "./resolver/name-resolver.js";
import type { NameServer } from "./resolver/resolv-conf.js";
import type { ConnectionStatus } from "./route/types.js";
import { maskSecrets, secretValues } from "./secrets.js";
import { BUILTIN_TECHNOLOGIES } from "./technologies/builtin.js";
import type { DaemonStarter } from "./technologies/daemon.js";
import { InterfaceRequests } from "./technologies/interface-requests.js";
import {
  daemonStarters,
  registerTechnologies,
  technologyPlanner,
} from "./technologies/registry.js";
import type { Technology, TechnologyPlanner } from "./technologies/technology.js";
import type { Ipv4Settings } from "./technologies/types.js";
import { WIFI_SCAN_REQUEST } from "./technologies/wifi/scan-request.js";
import type { AccessPoint } from "./technologies/wifi/wpa-events.js";

export interface NetworkManagerOptions {
  /** The configuration file's content (validated here) or an already parsed one. */
  config: ConfigInput | Config;
  /**
   * Technologies beyond the built-in ones (see "Third-party technologies" in
   * the README): their configs are validated, saved and applied like the
   * built-in ones'. A malformed one throws InvalidTechnologyError, a type or
   * daemon kind that is taken TechnologyClashError, both naming the field.
   */
  technologies?: readonly Technology[];
  logger?: Logger;
  /** Run in this named network namespace (`ip -n`, `ip netns exec`) instead of the process's own. */
  netns?: string;
  /** Route order overrides (`metric`, `interfaceTypes`) and the route manager's retry delay. */
  routes?: Omit<RouteManagerInput, "interfaces">;
  /** Wait after a failed configuration before trying again (default 30 s). */
  retryDelayMs?: number;
  /** Limit for each up/down command (default 10 s). */
  commandTimeoutMs?: number;
  /** First restart delay of a DHCP client that died (default 1 s, doubling). */
  dhcpRestartDelayMs?: number;
  /** Connectivity checker timings for every interface (defaults: see DEFAULT_CONNECTIVITY). */
  connectivity?: Partial<ConnectivitySettings>;
  /**
   * Between samples of the device's TCP sockets, whose traffic counts as a
   * good check (default 2 s); 0 turns passive evidence off.
   */
  trafficSampleMs?: number;
  /**
   * Power-manager watchdogs implemented in the app, by interface; they take
   * the place of a `powerManagers` entry of the configuration for the same
   * interface.
   */
  powerManagers?: Record<string, InProcessPowerManager>;
  /**
   * Send every actor, event and snapshot to this inspection relay (e.g.
   * `ws://127.0.0.1:8080` from `statenet inspect`), secrets masked. Off by
   * default; off, it costs nothing.
   */
  inspect?: string;
  /**
   * Where runtime configurations are saved (sealed with a per-device key) so
   * that they survive a restart. Default: a key file `<stateDir>/key` made on
   * first start, files under `<stateDir>/configs`. null: nothing is saved.
   */
  persistence?: (KeySource & { dir?: string }) | null;
  /**
   * The lock on tmpDir, already taken (`statenet run` takes it before
   * anything else) and released by its taker. Without it, start() takes it
   * first and stop() releases it; another manager on the same tmpDir makes
   * start() throw AlreadyRunningError before anything is touched.
   */
  instanceLock?: InstanceLock;
}

export interface ConfigureOptions {
  /** Save it so that it survives a restart (default true). */
  persist?: boolean;
}

export { type InProcessPowerManager, NoPowerManagerError, NotConfiguredError };

/** An interface's power manager, in `info()`. */
export interface PowerInfo {
  /** `interface/<ifname>/power/state`. */
  state: PowerStateName | undefined;
  /** Until the running timer fires (the watchdog, a hold), now; null without one. */
  timeLeftMs: number | null;
  /** Power cycles within the boot-loop guard's window (`power/cycles`). */
  cycles: number | undefined;
}

/**
 * One interface in `info()` (not the route calculator's input, exported as
 * RouteInterfaceInfo). Values are the `interface/<ifname>/...` properties;
 * undefined while unset.
 */
export interface InterfaceInfo {
  power?: PowerInfo;
  /** The 802.1X port state, while wpa_supplicant authenticates a wired port. */
  eap?: EapState;
  /** Its configuration's technology; undefined when nothing configures it. */
  type: string | undefined;
  /** Where its configuration is (`state`): configured, retrying, ... */
  state: InterfaceStateName | undefined;
  /** What it reaches (`connection`). */
  connection: ConnectionStatus | undefined;
  /** The kernel has the link (`present`). */
  present: boolean | undefined;
  /** The link has carrier (`lower_up`). */
  lowerUp: boolean | undefined;
  /** Its addresses, as the kernel reports them (`addresses`); undefined without the link. */
  addresses: LinkAddress[] | undefined;
  config: InterfaceConfig | undefined;
  /** The file's, or given at run time (saved or not); undefined when nothing configures it. */
  configSource: ConfigSourceInfo | undefined;
  /** Lower-case hardware address (`mac_address`); null for links without one. */
  macAddress?: string | null;
  /** statenet's default route in `main` through it, while it has one. */
  defaultRoute?: { gateway: string | undefined; metric: number };
  /** The DHCP lease (`dhcp_options`, `dhcp_lease_expires`), while it has one. */
  lease?: LeaseInfo;
  /** The connectivity checker's latest word (`connectivity/*`), while one runs. */
  connectivity?: ConnectivityInfo;
}

export interface LeaseInfo {
  address: string;
  /** null when the server gave no lease time. */
  leaseSeconds: number | null;
  /** When it ends, as an ISO time; null without a lease time. */
  expires: string | null;
}

export interface ConnectivityInfo {
  status: ConnectivityStatus;
  /** Why, in words (`connectivity/reason`). */
  reason: string | null;
  /** ISO time of the last check; null before the first. */
  lastCheck: string | null;
  /** Smoothed round trip of its probes; null before one was answered. */
  rttMs: number | null;
}

export interface InfoOptions {
  /** false: configurations with their secrets (passphrases, keys) in clear. Default true. */
  redact?: boolean;
}

export interface NetworkManagerInfo {
  /** Every link the kernel has, `lo` included (`all_interfaces`). */
  allInterfaces: string[] | undefined;
  /** Interfaces with a default route, best first (`available_interfaces`). */
  availableInterfaces: string[] | undefined;
  /** The best of every interface's connection (`connection`). */
  connection: ConnectionStatus | undefined;
  /** The name servers in resolvConf, in order (`name_servers`). */
  nameServers: NameServer[] | undefined;
  /** What the kernel refused of the last route change (`route_errors`), until it applies. */
  routeErrors: RouteError[] | undefined;
  /** Others' default routes on interfaces statenet does not manage (`unmanaged_default_routes`). */
  unmanagedDefaultRoutes: UnmanagedDefaultRoute[] | undefined;
  interfaces: Record<string, InterfaceInfo>;
}

/**
 * The manager; `Input` is what configure() takes: the built-in technologies'
 * configs, and those of the technologies given to createNetworkManager.
 */
export class NetworkManager<Input = InterfaceConfigInput> {
  readonly properties = new PropertyTable();
  readonly #options: NetworkManagerOptions;
  /** The file's configuration; a reload replaces it (but not the settings that need a restart). */
  #config: Config;
  readonly #logger: Logger;
  /** The built-in technologies, then the registered ones. */
  readonly #technologies: readonly Technology[];
  readonly #planner: TechnologyPlanner;
  readonly #daemonStarters: ReadonlyMap<string, DaemonStarter>;
  readonly #configs = new Map<string, InterfaceConfig>();
  readonly #sources = new ConfigSources(this.properties, () => this.#config.interfaces);
  readonly #stopping = new Set<Promise<void>>();
  #monitor: KernelMonitor | undefined;
  #dhcpServer: ReportServer | undefined;
  #prober: Prober | undefined;
  #trafficWatcher: TrafficWatcher | undefined;
  #routeMonitor: RouteMonitor | undefined;
  #powerImplementations: ReadonlyMap<string, PowerManagerImplementation> = new Map();
  #powerOptions: Record<string, PowerManagerOptions> = {};
  #powerTimeLeft: ((ifname: string) => number | null) | undefined;
  #resolver: NameResolver | undefined;
  #inspection: Inspection | undefined;
  #store: ConfigStore | undefined;
  /** Configuration changes, one after the other: what is saved is what is applied. */
  #changes: Promise<void> = Promise.resolve();
  #unsubscribeInspection: (() => void) | undefined;
  /** Every secret any configuration held: scrubbed from what leaves the process, even after a change. */
  readonly #secrets = new Set<string>();
  #root: Actor<ManagerMachine> | undefined;
  /** 802.1X ports by interface: whether each lets traffic through. */
  readonly #ports = new Map<string, { ready: boolean; reason?: string | undefined }>();
  readonly #requests = new InterfaceRequests();
  #unsubscribeOrder: (() => void) | undefined;
  #unsubscribeLog: (() => void) | undefined;
  #stopped = false;
  /** The instance lock start() took (one given in the options is its taker's to release). */
  #ownLock: InstanceLock | undefined;

  constructor(options: NetworkManagerOptions) {
    this.#options = options;
    this.#technologies = registerTechnologies(BUILTIN_TECHNOLOGIES, options.technologies ?? []);
    this.#planner = technologyPlanner(this.#technologies);
    this.#daemonStarters = daemonStarters(this.#technologies);
    this.#config = parseConfig(options.config, this.#technologies);
    this.#logger = options.logger ?? silentLogger();
    for (const ifname of Object.keys(options.powerManagers ?? {})) assertInterfaceName(ifname);
    for (const [ifname, config] of Object.entries(this.#config.interfaces)) {
      this.#configs.set(ifname, config);
    }
    for (const secret of secretValues(this.#config)) this.#secrets.add(secret);
  }

  get config(): Config {
    return this.#config;
  }

  #portChanged(ifname: string, authorized: boolean | undefined, reason?: string): void {
    if (authorized === undefined) this.#ports.delete(ifname);
    else this.#ports.set(ifname, { ready: authorized, reason });
    const link = this.#monitor?.links().get(ifname);
    this.#sendLink(ifname, { present: link !== undefined, lowerUp: link?.lowerUp ?? false });
  }

  /** What the root is told of a link: the kernel's view, and an 802.1X port's. */
  #sendLink(ifname: string, kernel: { present: boolean; lowerUp: boolean }): void {
    // Daemons stop after the root did, and report their port on the way: nothing to tell.
    if (this.#root?.getSnapshot().status !== "active") return;
    this.#root.send({
      type: "link.changed",
      ifname,
      present: kernel.present,
      lowerUp: kernel.lowerUp,
      portAuthorized: this.#ports.get(ifname)?.ready,
      portReason: this.#ports.get(ifname)?.reason,
    });
  }

  get #pidDir(): string {
    return join(this.#config.tmpDir, "pids");
  }

  async start(): Promise<void> {
    const { netns } = this.#options;
    const ip = createIpRunner({ netns });
    const runner = createCommandRunner({ netns });
    const dhcpDir = join(this.#config.tmpDir, "dhcp");
    // Before anything is touched: a second manager must not even sweep the first one's daemons.
    if (!this.#options.instanceLock) this.#ownLock = await takeInstanceLock(this.#config.tmpDir);
    await mkdir(this.#config.tmpDir, { recursive: true, mode: 0o755 });
    // A previous run killed outright left its daemons running: one udhcpc per interface.
    await endLeftoverDaemons(this.#pidDir, this.#logger);
    await this.#loadSavedConfigs();
    this.#dhcpServer = await createReportServer({ dir: dhcpDir, logger: this.#logger });
    const handlerPath = await installHandler(dhcpDir);
    this.#resolver = new NameResolver({
      path: this.#config.resolvConf,
      additionalNameServers: this.#config.additionalNameServers,
      properties: this.properties,
      logger: this.#logger,
    });
    await this.#resolver.update();
    if (this.#options.inspect) await this.#startInspection(this.#options.inspect);
    // Every change, in order: the record of why the device did what it did.
    this.#unsubscribeLog = this.properties.subscribe([], (change) => {
      this.#logger.debug({ key: change.key.join("/"), value: change.new }, "property changed");
    });
    this.#unsubscribeOrder = this.properties.subscribe(["available_interfaces"], (change) => {
      void this.#resolver?.setOrder((change.new as string[] | undefined) ?? []);
    });

    const { ifnames } = this.#config;
    this.#monitor = createKernelMonitor({
      ip,
      logger: this.#logger,
      properties: this.properties,
      // In the monitor, before any link is published: nothing configures a link about to be renamed.
      renamer:
        ifnames.length > 0
          ? createInterfaceRenamer({ rules: ifnames, ip, logger: this.#logger })
          : undefined,
      onChange: (changes) => {
        for (const change of changes) this.#sendLink(change.ifname, change);
      },
    });
    const links = await this.#monitor.start();
    for (const [ifname, config] of this.#configs) this.#publishConfig(ifname, config);
    for (const ifname of this.#sources.names()) this.#sources.publish(ifname);

    this.#prober = createProber({ netns, logger: this.#logger });
    this.#collectPowerManagers(runner);
    const commandTimeoutMs = this.#options.commandTimeoutMs ?? 10_000;
    const machine = this.#linuxMachine({ ip, runner }, handlerPath, commandTimeoutMs);
    this.#startRoot(machine, links, commandTimeoutMs);
    this.#routeMonitor = startRouteMonitor({
      runner,
      logger: this.#logger,
      // A route manager being restarted reads the kernel as it starts anyway.
      onForeignChange: () =>
        this.#root?.system.get(ROUTE_MANAGER_ID)?.send({ type: "kernel.routes_changed" }),
    });
    this.#startTrafficWatcher(runner);
  }

  #collectPowerManagers(runner: CommandRunner): void {
    const power = collectPowerManagers(this.#config, this.#options.powerManagers, runner);
    this.#powerImplementations = power.implementations;
    this.#powerOptions = power.options;
    if (power.implementations.size > 0 && this.#config.internetHosts.length === 0) {
      // Nothing checks the interfaces, so nothing pets their watchdogs but the app.
      this.#logger.warn(
        { interfaces: [...power.implementations.keys()] },
        "power managers with internetHosts: [] (no checks): only petWatchdog() keeps their devices from being reset",
      );
    }
  }

  /** The device's own traffic as evidence for the checkers, when there are checkers. */
  #startTrafficWatcher(runner: CommandRunner): void {
    if (this.#options.trafficSampleMs === 0 || this.#config.internetHosts.length === 0) return;
    this.#trafficWatcher = new TrafficWatcher({
      runner,
      logger: this.#logger,
      sampleMs: this.#options.trafficSampleMs,
      watched: () => this.#interfacesAtInternet(),
      onEvidence: (ifname, evidence) => {
        this.#logger.debug({ ifname, evidence }, "traffic evidence");
        this.#root?.send({ type: "traffic.observed", ifname, evidence });
      },
    });
    this.#trafficWatcher.start();
  }

  /** Interfaces whose checker says `internet`, with their addresses: whose traffic is evidence. */
  #interfacesAtInternet(): WatchedInterface[] {
    const links = this.#monitor?.links() ?? new Map<string, LinkState>();
    return this.properties
      .match(["interface", "*", "connectivity", "status"])
      .flatMap(([key, status]) => {
        const ifname = key[1];
        const addresses = ifname === undefined ? undefined : links.get(ifname)?.addresses;
        return status === "internet" && ifname !== undefined && addresses
          ? [{ ifname, addresses }]
          : [];
      });
  }

  /** Saved configurations take the place of the file's defaults; unusable ones are set aside. */
  async #loadSavedConfigs(): Promise<void> {
    const { persistence } = this.#options;
    if (persistence === null) return;
    const source = persistence ?? { keyFile: join(this.#config.stateDir, "key") };
    const store = new ConfigStore({
      dir: persistence?.dir ?? join(this.#config.stateDir, "configs"),
      key: await loadDeviceKey(source),
      technologies: this.#technologies,
    });
    const { configs, problems } = await store.loadAll();
    for (const problem of problems) {
      const where = problem.kept ? { file: problem.movedTo } : { movedTo: problem.movedTo };
      this.#logger.error(
        { ifname: problem.ifname, problem: problem.message, ...where },
        "saved configuration unusable; the default applies",
      );
    }
    for (const [ifname, { config, savedAt }] of Object.entries(configs)) {
      this.#sources.setRuntime(ifname, savedAt);
      if (overridesFile(this.#config.interfaces[ifname], config ?? undefined)) {
        this.#logger.info(
          { ifname, savedAt },
          "saved configuration takes precedence over the file's",
        );
      }
      if (config === null) this.#configs.delete(ifname);
      else {
        this.#configs.set(ifname, config);
        for (const secret of secretValues(config)) this.#secrets.add(secret);
      }
    }
    this.#store = store;
  }

  /** Actors, events and snapshots go to the relay, and so does every property change. */
  async #startInspection(url: string): Promise<void> {
    // Loaded only when asked for: off, inspection costs nothing, not even its modules' memory.
    const { createInspection } = await import("./inspect/inspection.js");
    const inspection = createInspection({
      url,
      secrets: () => [...this.#secrets],
      logger: this.#logger.child({ component: "inspection" }),
    });
    this.#inspection = inspection;
    const unsubscribe = this.properties.subscribe([], (change) => {
      inspection.property(change.key.join("/"), change.new);
    });
    // Warnings and errors too: the visualizer shows them beside the statecharts.
    const untap = tapWarnings(this.#logger, (line) => inspection.log(line));
    this.#unsubscribeInspection = () => {
      unsubscribe();
      untap();
    };
  }

  /** The root machine with the Linux effects of every actor in the tree. */
  #linuxMachine(
    context: CommandContext,
    handlerPath: string,
    commandTimeoutMs: number,
  ): ManagerMachine {
    const { ip } = context;
    const dhcpServer = this.#dhcpServer;
    const prober = this.#prober;
    if (!dhcpServer || !prober)
      throw new Error("the DHCP report server and the prober start first");
    const power = powerShell({
      implementations: this.#powerImplementations,
      properties: this.properties,
      logger: this.#logger.child({ actor: "power" }),
    });
    this.#powerTimeLeft = power.timeLeft;
    return managerMachine.provide({
      actors: {
        powerManager: power.machine,
        checker: linuxCheckerMachine({
          prober,
          targets: () => this.#config.internetHosts,
          properties: this.properties,
          prefixLengthOf: (ifname, address) =>
            this.#monitor
              ?.links()
              .get(ifname)
              ?.addresses.find((candidate) => candidate.address === address)?.prefixLength,
        }),
        routeManager: linuxRouteManagerMachine({
          ip,
          properties: this.properties,
          logger: this.#logger.child({ actor: "routeManager" }),
        }),
        interface: interfaceMachine.provide({
          actors: {
            bringUp: fromPromise(({ input, signal }) =>
              bringUp(context, input.plan, signal, input.timeoutMs),
            ),
            bringDown: fromPromise(({ input, signal }) =>
              bringDown(context, input.plan, signal, input.timeoutMs),
            ),
            daemons: interfaceDaemons(
              {
                ...context,
                dhcpServer,
                handlerPath,
                configDir: join(this.#config.tmpDir, "wpa_supplicant"),
                pidDir: this.#pidDir,
                portChanged: (ifname, authorized, reason) =>
                  this.#portChanged(ifname, authorized, reason),
                properties: this.properties,
                logger: this.#logger,
                commandTimeoutMs,
                trackStop: (stopping) => this.#track(stopping),
                udhcpcRestartDelayMs: this.#options.dhcpRestartDelayMs,
                requests: this.#requests,
              },
              this.#daemonStarters,
            ),
          },
          actions: {
            publishState: (_, { ifname, state }) => {
              this.properties.put(["interface", ifname, "state"], state);
              this.#logger.info({ ifname, state }, "interface state");
            },
            reportError: (_, { ifname, stage, message }) => {
              this.#logger.error({ ifname, stage, error: message }, "interface command failed");
            },
          },
        }),
      },
      actions: {
        setNameServers: (_, { ifname, settings }) => {
          void (settings ? this.#resolver?.set(ifname, settings) : this.#resolver?.clear(ifname));
        },
        interfaceRemoved: (_, { ifname }) => {
          this.properties.putMany(
            ["type", "config", "state", "connection"].map(
              (leaf) => [["interface", ifname, leaf], undefined] as const,
            ),
          );
        },
        checkerStopped: (_, { ifname }) => {
          this.properties.clearPrefix(["interface", ifname, "connectivity"]);
        },
        connectivityChanged: (_, { ifname, status, reason }) => {
          this.#logger.info({ ifname, status, reason }, "connectivity changed");
        },
        reportChildError: (_, { id, error }) => {
          this.#logger.error({ actor: id, err: error }, "actor failed; replacing it");
        },
      },
    });
  }

  #startRoot(
    machine: ManagerMachine,
    links: ReadonlyMap<string, LinkState>,
    commandTimeoutMs: number,
  ): void {
    const linkReports: Record<string, LinkReport> = {};
    for (const [ifname, link] of links) {
      linkReports[ifname] = { present: true, lowerUp: link.lowerUp };
    }
    const root = createActor(machine, {
      input: {
        interfaces: Object.fromEntries(this.#configs),
        planner: this.#planner,
        links: linkReports,
        ipv4: this.#staticSettingsInPlace(links),
        routes: this.#options.routes,
        retryDelayMs: this.#options.retryDelayMs,
        commandTimeoutMs,
        // Left out, internetHosts is the default list; only an explicit [] turns checks off.
        checkInternet: this.#config.internetHosts.length > 0,
        connectivity: this.#options.connectivity,
        powerManagers: this.#powerOptions,
      },
      inspect: this.#inspection?.inspect,
    });
    root.subscribe({
      error: (error) => {
        // Only a bug gets here; the device must stay managed, so start over.
        this.#logger.error({ err: error }, "manager failed; restarting it");
        if (!this.#stopped) {
          this.#startRoot(machine, this.#monitor?.links() ?? new Map(), commandTimeoutMs);
        }
      },
    });
    this.#root = root;
    root.start();
  }

  /** Static settings a previous run left on their interfaces: taken over as they are. */
  #staticSettingsInPlace(links: ReadonlyMap<string, LinkState>): Record<string, Ipv4Settings> {
    const inPlace: Record<string, Ipv4Settings> = {};
    for (const [ifname, config] of this.#configs) {
      const settings = this.#planner(ifname, config).staticIpv4;
      const onLink = links.get(ifname)?.addresses ?? [];
      const present = settings?.addresses.every((wanted) =>
        onLink.some(
          (address) =>
            address.family === "inet" &&
            address.address === wanted.address &&
            address.prefixLength === wanted.prefixLength,
        ),
      );
      if (settings && present) inPlace[ifname] = settings;
    }
    return inPlace;
  }

  #track(stopping: Promise<void>): void {
    const tracked = stopping
      .catch((error: unknown) => this.#logger.error({ err: error }, "daemon did not stop cleanly"))
      .finally(() => this.#stopping.delete(tracked));
    this.#stopping.add(tracked);
  }

  #publishConfig(ifname: string, config: InterfaceConfig): void {
    this.properties.putMany([
      [["interface", ifname, "type"], config.type],
      // Apps and the CLI read properties: the secrets stay in the process's own copy.
      [["interface", ifname, "config"], maskSecrets(config)],
    ]);
  }

  /**
   * Stops every actor and daemon. Addresses and routes stay as they are, so a
   * restarted manager takes over without an outage.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#root?.stop();
    // At once, with the root: a monitor that dies with us (a group-wide SIGTERM) is no news.
    const monitorStopped = Promise.all([this.#monitor?.stop(), this.#routeMonitor?.stop()]);
    this.#unsubscribeInspection?.();
    this.#inspection?.stop();
    await this.#trafficWatcher?.stop();
    this.#unsubscribeOrder?.();
    this.#unsubscribeLog?.();
    await monitorStopped;
    while (this.#stopping.size > 0) await Promise.all(this.#stopping);
    await this.#dhcpServer?.close();
    await this.#prober?.close();
    await this.#resolver?.flush();
    await this.#ownLock?.release();
  }

  /**
   * Takes a new version of the configuration file (SIGHUP, `statenet reload`).
   * A bad one throws ConfigError at once and changes nothing. Interfaces
   * whose entry changed get the new one, unless configured or deconfigured
   * at run time: that stays (logged), as it would after a restart, until
   * `resetToDefaults`. `internetHosts` and `additionalNameServers` apply at
   * once; other settings that changed are logged as needing a restart.
   */
  reload(input: ConfigInput | Config): Promise<ReloadResult> {
    const file = parseConfig(input, this.#technologies);
    return this.#change(async () => {
      const setAtRuntime = new Set(
        this.#sources.names().filter((ifname) => this.#sources.sourceOf(ifname)?.from !== "file"),
      );
      const plan = planReload(this.#config, file, setAtRuntime);
      for (const secret of secretValues(file)) this.#secrets.add(secret);
      this.#config = plan.config;
      for (const [ifname, config] of plan.interfaces) {
        this.#apply(ifname, config);
        this.#sources.publish(ifname);
      }
      for (const ifname of plan.keptRuntime) {
        this.#logger.info(
          { ifname, source: this.#sources.sourceOf(ifname) },
          "configuration set at run time stays over the file's",
        );
      }
      if (plan.appliedSettings.includes("additionalNameServers")) {
        await this.#resolver?.setAdditionalNameServers(this.#config.additionalNameServers);
      }
      for (const setting of plan.needsRestart) {
        this.#logger.warn({ setting }, "setting changed in the file; needs a restart");
      }
      const { applied, keptRuntime, appliedSettings, needsRestart } = plan;
      const result = { applied, keptRuntime, appliedSettings, needsRestart };
      this.#logger.info(result, "configuration reloaded");
      return result;
    });
  }

  /**
   * Validates (a bad configuration, or one naming a certificate or key that
   * cannot be read, throws ConfigError at once and changes nothing), saves,
   * then applies a configuration: the interface's old one
   * goes down and the new one comes up. The same configuration again changes
   * nothing.
   */
  configure(ifname: string, input: Input, options: ConfigureOptions = {}): Promise<void> {
    assertInterfaceName(ifname);
    if (ifname === LOOPBACK_INTERFACE) {
      throw new ConfigError([{ path: `interfaces.${ifname}`, message: LOOPBACK_REFUSAL }]);
    }
    const config = parseInterfaceConfig(ifname, input, this.#technologies);
    const unreadable = unreadableFiles(ifname, config);
    if (unreadable.length > 0) throw new ConfigError(unreadable);
    for (const secret of secretValues(config)) this.#secrets.add(secret);
    return this.#change(async () => {
      if (JSON.stringify(this.#configs.get(ifname)) === JSON.stringify(config)) return;
      const savedAt =
        options.persist !== false ? await this.#store?.save(ifname, config) : undefined;
      this.#sources.setRuntime(ifname, savedAt);
      this.#apply(ifname, config);
    });
  }

  /**
   * Stops managing the interface: daemons stop, addresses and routes go; it
   * stays so after a restart. An interface that is neither configured, in the
   * file nor saved is refused with NotConfiguredError, and nothing is saved.
   */
  deconfigure(ifname: string, options: ConfigureOptions = {}): Promise<void> {
    assertInterfaceName(ifname);
    return this.#change(async () => {
      const known =
        this.#configs.has(ifname) ||
        Object.hasOwn(this.#config.interfaces, ifname) ||
        (await this.#store?.has(ifname)) === true;
      if (!known) throw new NotConfiguredError(ifname);
      const savedAt = options.persist !== false ? await this.#store?.save(ifname, null) : undefined;
      this.#sources.setRuntime(ifname, savedAt);
      this.#apply(ifname, undefined);
    });
  }

  /** Forgets the saved configuration: the configuration file's one applies again (or none). */
  resetToDefaults(ifname: string): Promise<void> {
    assertInterfaceName(ifname);
    return this.#change(async () => {
      await this.#store?.remove(ifname);
      this.#sources.backToFile(ifname);
      const fallback = this.#config.interfaces[ifname];
      if (JSON.stringify(this.#configs.get(ifname)) !== JSON.stringify(fallback)) {
        this.#apply(ifname, fallback);
      }
    });
  }

  /** The configuration in force for the interface, if any. */
  getConfiguration(ifname: string): InterfaceConfig | undefined {
    return this.#configs.get(ifname);
  }

  #change<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#changes.then(work);
    // A failed change must not block the ones after it; its caller gets the error.
    this.#changes = next.then(
      () => {},
      () => {},
    );
    return next;
  }

  #apply(ifname: string, config: InterfaceConfig | undefined): void {
    if (config === undefined) {
      if (!this.#configs.delete(ifname)) return;
      this.#root?.send({ type: "config.remove", ifname });
      return;
    }
    this.#configs.set(ifname, config);
    this.#publishConfig(ifname, config);
    this.#root?.send({ type: "config.set", ifname, config });
  }

  /** Power-cycles the interface's device now, whatever its hold time says. */
  forceReset(ifname: string): void {
    this.#powerRequest(ifname, { type: "power.force_reset", ifname });
  }

  /** The app vouches that the interface's device works (as a good connectivity check does). */
  petWatchdog(ifname: string): void {
    this.#powerRequest(ifname, { type: "watchdog.pet", ifname });
  }

  /** Passes a message to the interface's power manager implementation (`handleMessage`). */
  sendPowerMessage(ifname: string, message: unknown): void {
    const implementation = this.#powerImplementations.get(ifname);
    if (!implementation) throw new NoPowerManagerError(ifname);
    implementation.handleMessage?.(message);
  }

  #powerRequest(
    ifname: string,
    event: { type: "power.force_reset" | "watchdog.pet"; ifname: string },
  ): void {
    if (!this.#powerImplementations.has(ifname)) throw new NoPowerManagerError(ifname);
    this.#root?.send(event);
  }

  /**
   * Scans for WiFi access points on a configured WiFi interface and returns
   * what it found (also published as `interface/<if>/wifi/access_points`).
   */
  async scan(ifname: string): Promise<AccessPoint[]> {
    return (await this.#requests.call(ifname, WIFI_SCAN_REQUEST)) as AccessPoint[];
  }

  /** Interfaces statenet configures: not those it only lists and leaves alone (null). */
  configuredInterfaces(): string[] {
    return [...this.#configs]
      .filter(([ifname, config]) => !leavesInterfaceAlone(this.#planner(ifname, config)))
      .map(([ifname]) => ifname)
      .sort();
  }

  get(key: readonly string[]): unknown {
    return this.properties.get(key);
  }

  /** The value with when it was set (monotonic ms, see PropertyTimestamp); undefined when unset. */
  getWithTimestamp(key: readonly string[]): TimestampedValue | undefined {
    return this.properties.getWithTimestamp(key);
  }

  getByPrefix(prefix: readonly string[]) {
    return this.properties.getByPrefix(prefix);
  }

  match(pattern: readonly string[]) {
    return this.properties.match(pattern);
  }

  subscribe(prefix: readonly string[], listener: PropertyListener): () => void {
    return this.properties.subscribe(prefix, listener);
  }

  /** statenet's default routes in `main` by interface: what the route manager has applied. */
  #defaultRoutes(): Map<string, { gateway: string | undefined; metric: number }> {
    const routeManager = this.#root?.system.get(ROUTE_MANAGER_ID);
    // The root spawns it, so its snapshot is not typed here; its context is the machine's.
    const view = routeManager?.getSnapshot() as
      | { context?: Pick<RouteManagerContext, "applied"> }
      | undefined;
    const routes = new Map<string, { gateway: string | undefined; metric: number }>();
    for (const entry of view?.context?.applied ?? []) {
      if (entry.kind !== "default_route" || entry.table !== "main") continue;
      routes.set(entry.ifname, { gateway: entry.gateway, metric: entry.metric });
    }
    return routes;
  }

  /** What `info` adds for an uplink: its hardware address, route, lease and connectivity. */
  #uplinkInfo(
    ifname: string,
    defaultRoute: { gateway: string | undefined; metric: number } | undefined,
  ): Partial<InterfaceInfo> {
    const key = (...leaf: string[]) => ["interface", ifname, ...leaf];
    const extra: Partial<InterfaceInfo> = {};
    const mac = this.#read<string | null>(key("mac_address"));
    if (mac !== undefined) extra.macAddress = mac;
    if (defaultRoute) extra.defaultRoute = defaultRoute;
    const options = this.#read<DhcpOptions>(key("dhcp_options"));
    if (options !== undefined) {
      extra.lease = {
        address: options.address,
        leaseSeconds: options.leaseSeconds ?? null,
        expires: this.#read<string | null>(key("dhcp_lease_expires")) ?? null,
      };
    }
    const status = this.#read<ConnectivityStatus>(key("connectivity", "status"));
    if (status !== undefined) {
      const connectivity = <Value>(leaf: string) =>
        this.#read<Value>(key("connectivity", leaf)) ?? null;
      extra.connectivity = {
        status,
        reason: connectivity<string>("reason"),
        lastCheck: connectivity<string>("last_check"),
        rttMs: connectivity<number>("rtt_ms"),
      };
    }
    return extra;
  }

  /** A property as info() reports it: the code that writes it decides its type (InterfaceInfo names it). */
  #read<Value>(key: readonly string[]): Value | undefined {
    return this.properties.get(key) as Value | undefined;
  }

  /**
   * Everything at a glance. Secrets in the configurations are masked unless
   * `redact: false` (VintageNet's option of the same name), which is for
   * debugging on the device itself.
   */
  info(options: InfoOptions = {}): NetworkManagerInfo {
    const redact = options.redact ?? true;
    const interfaces: Record<string, InterfaceInfo> = {};
    const names = new Set([
      ...this.#configs.keys(),
      ...(this.#monitor ? this.#monitor.links().keys() : []),
    ]);
    const defaultRoutes = this.#defaultRoutes();
    for (const ifname of [...names].sort()) {
      const get = <Value>(leaf: string) => this.#read<Value>(["interface", ifname, leaf]);
      interfaces[ifname] = {
        type: this.#configs.get(ifname)?.type,
        state: get("state"),
        connection: get("connection"),
        present: get("present"),
        lowerUp: get("lower_up"),
        addresses: get("addresses"),
        config: redact ? maskSecrets(this.#configs.get(ifname)) : this.#configs.get(ifname),
        configSource: this.#sources.info(ifname, this.#configs.get(ifname)),
      };
      const eap = this.#read<EapState>(["interface", ifname, "eap", "state"]);
      if (eap !== undefined) interfaces[ifname].eap = eap;
      Object.assign(interfaces[ifname], this.#uplinkInfo(ifname, defaultRoutes.get(ifname)));
      if (this.#powerImplementations.has(ifname)) {
        interfaces[ifname].power = {
          state: this.#read(["interface", ifname, "power", "state"]),
          timeLeftMs: this.#powerTimeLeft?.(ifname) ?? null,
          cycles: this.#read(["interface", ifname, "power", "cycles"]),
        };
      }
    }
    return {
      allInterfaces: this.#read(["all_interfaces"]),
      availableInterfaces: this.#read(["available_interfaces"]),
      connection: this.#read(["connection"]),
      nameServers: this.#read(["name_servers"]),
      routeErrors: this.#read(["route_errors"]),
      unmanagedDefaultRoutes: this.#read(["unmanaged_default_routes"]),
      interfaces,
    };
  }
}

/** The route manager's snapshot, as far as `info` reads it. */
/**
 * A manager whose configure() takes the configs of the built-in technologies
 * and of `options.technologies` (any config, checked at run time, when the
 * list is only known at run time).
 */
export function createNetworkManager<const Extra extends readonly Technology[] = readonly []>(
  options: NetworkManagerOptions & { technologies?: Extra },
): NetworkManager<InterfaceConfigInput | TechnologyConfigInput<Extra[number]>> {
  return new NetworkManager(options);
}
