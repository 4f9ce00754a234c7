import type { InterfaceEvent } from "../../machines/interface.js";
import type { ReportServer } from "../dhcp/report-server.js";
import type { CommandRunner } from "../linux/command-runner.js";
import type { CommandContext } from "../linux/interface-commands.js";
import type { Logger } from "../log.js";
import type { PropertyTable } from "../properties/property-table.js";
import type { InterfaceRequests } from "./interface-requests.js";
import type { DaemonSpec } from "./types.js";

/**
 * How a technology's daemons run: a plan names them as data (`DaemonSpec`),
 * and the starter its technology registers for the spec's `kind` carries it
 * out with what the platform gives every daemon.
 */

/** The platform's services, the same for every daemon of every interface. */
export interface DaemonDependencies extends CommandContext {
  runner: CommandRunner;
  dhcpServer: ReportServer;
  handlerPath: string;
  /** Where daemons' config files go (wpa_supplicant's hold secrets: the directory is 0700). */
  configDir: string;
  /** Records of the running daemons' pids, for a manager started after this one was killed. */
  pidDir: string;
  properties: PropertyTable;
  /**
   * The link's own readiness changed beyond carrier: an 802.1X port opened or
   * closed, a WiFi station associated or lost its access point (undefined: no
   * daemon decides any more). Routing treats "not ready" like a pulled cable.
   */
  portChanged: (ifname: string, ready: boolean | undefined, reason?: string) => void;
  logger: Logger;
  commandTimeoutMs: number;
  /** Stopping is asynchronous; the manager waits for these before it reports itself stopped. */
  trackStop: (stopping: Promise<void>) => void;
  udhcpcRestartDelayMs?: number | undefined;
  /** Where a running daemon serves requests by name (a WiFi scan). */
  requests: InterfaceRequests;
}

export interface RunningDaemon {
  stop(): Promise<void>;
  /** Asks for an address now (a DHCP client), e.g. once the port is authorized. */
  renew?(): void;
}

/** What a daemon may do to the interface machine and to the other daemons of its interface. */
export interface DaemonContext {
  dependencies: DaemonDependencies;
  sendBack: (event: InterfaceEvent) => void;
  isStopped: () => boolean;
  /** Every other daemon asks for an address again. */
  renewOthers: () => void;
}

/** Starts one daemon of a plan; throwing means it cannot start (the interface retries later). */
export interface DaemonStarter<Spec extends DaemonSpec = DaemonSpec> {
  (spec: Spec, context: DaemonContext): RunningDaemon;
  /**
   * Loads the starter's code, for one that loads it later (load-on-first-start.ts):
   * an interface starts its daemons once every one's code is there.
   */
  load?: () => Promise<void>;
}
