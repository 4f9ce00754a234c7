import type { ChildProcess } from "node:child_process";
import { readdir, readFile, readlink } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "../log.js";
import type { PropertyTable } from "../properties/property-table.js";
import { inCLocale, startProgram } from "./child-process.js";
import { endedByGroupStop, GROUP_SIGNAL_GRACE_MS } from "./group-signal.js";
import { HwPathCache } from "./hw-path.js";
import { isInterfaceName } from "./interface-name.js";
import type { InterfaceRenamer } from "./interface-renamer.js";
import type { IpRunner } from "./ip.js";
import {
  type LinkChange,
  type LinkState,
  linkChanges,
  linkProperties,
  parseLinkStates,
} from "./link-state.js";
import { type ProcessExit, processExit } from "./terminate.js";

/**
 * Watches the kernel's links and addresses. `ip monitor` lines are only a
 * trigger: its text format is not stable, so every burst of lines leads to a
 * fresh `ip -j` dump, which is diffed against the last one. Published as
 * `interface/<ifname>/...` properties and through `onChange`, and the names
 * of every link as `all_interfaces`.
 */

export interface KernelMonitorOptions {
  /** Dumps go through this runner; its namespace is also the one monitored. */
  ip: IpRunner;
  logger: Logger;
  properties?: PropertyTable;
  /** How long after the first monitor line of a burst the dump starts (default 5 ms). */
  debounceMs?: number;
  /** Called with the interfaces that changed, after `properties` has them; also for the first dump. */
  onChange?: (changes: LinkChange[], links: ReadonlyMap<string, LinkState>) => void;
  /** Wait before restarting a monitor that exited, and before retrying a failed dump (default 1000 ms). */
  restartDelayMs?: number;
  /** Path of the `ip` binary that runs the monitor (default `ip`). */
  ipPath?: string;
  /**
   * Renames links as they appear (the `ifnames` rules), before a dump is
   * published: then the links are read again, and only the renamed ones are
   * ever published.
   */
  renamer?: InterfaceRenamer;
  /** Where sysfs is mounted, for hardware paths (default `/sys`). */
  sysfs?: string;
}

export interface KernelMonitor {
  /** Resolves with the first dump once the monitor is subscribed; rejects (and cleans up) if either fails. */
  start(): Promise<ReadonlyMap<string, LinkState>>;
  /** Kills the monitor and waits for it; no callback runs once stop() has been called. */
  stop(): Promise<void>;
  /** The last dump; a new map after every dump, never changed in place. */
  links(): ReadonlyMap<string, LinkState>;
  /** Resolves after a dump that started after this call; rejects with that dump's error. */
  refresh(): Promise<void>;
}

const DEFAULT_DEBOUNCE_MS = 5;
const DEFAULT_RESTART_DELAY_MS = 1000;
/** `ip` subscribes within a few ms of its start; past this, carry on without the proof. */
const SUBSCRIBE_TIMEOUT_MS = 500;
/** What `ip monitor` prints when its socket overflowed: events were lost. */
const OVERRUN = "No buffer space available";
const NETLINK_ROUTE = "0";
/**
 * Reads after renames before a dump is published anyway: each round only
 * handles links that appeared since the last, so more means links keep
 * appearing, and a stale view is better than none.
 */
const MAX_RENAME_ROUNDS = 4;

/**
 * Every link's name in a `ip -j link show` dump, sorted: `lo` too, which
 * statenet never manages and so leaves out of its link states, as VintageNet's
 * `all_interfaces` lists it.
 */
export function allInterfaceNames(linkDump: unknown): string[] {
  if (!Array.isArray(linkDump)) return [];
  const names = linkDump.flatMap((entry: unknown) => {
    const ifname = (entry as { ifname?: unknown } | null)?.ifname;
    return typeof ifname === "string" && isInterfaceName(ifname) ? [ifname] : [];
  });
  return [...new Set(names)].sort();
}

export function createKernelMonitor(options: KernelMonitorOptions): KernelMonitor {
  return new LinuxKernelMonitor(options);
}

type Settle = (error: Error | undefined) => void;

class LinuxKernelMonitor implements KernelMonitor {
  readonly #ip: IpRunner;
  readonly #log: Logger;
  readonly #properties: PropertyTable | undefined;
  readonly #onChange: KernelMonitorOptions["onChange"];
  readonly #debounceMs: number;
  readonly #restartDelayMs: number;
  readonly #ipPath: string;
  readonly #renamer: InterfaceRenamer | undefined;
  readonly #hwPaths: HwPathCache;
  /** Cancels dumps in flight when the monitor stops. */
  readonly #abort = new AbortController();

  #phase: "new" | "running" | "stopped" = "new";
  #stopping: Promise<void> | undefined;
  #links: ReadonlyMap<string, LinkState> = new Map();
  /** `all_interfaces` as last published; undefined before the first dump. */
  #allInterfaces: string[] | undefined;
  #child: ChildProcess | undefined;
  #lastStderr = "";
  #debounceTimer: NodeJS.Timeout | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  /** Set by every request, cleared as a dump starts: still set after a dump, it asks for one more. */
  #dumpWanted = false;
  #dumping: Promise<void> | undefined;
  /** refresh() and start() callers, waiting for a dump that starts after their call. */
  #waiters: Settle[] = [];
  /** When the first monitor line not yet covered by a dump arrived, for the latency log. */
  #eventAt: number | undefined;

  constructor(options: KernelMonitorOptions) {
    this.#ip = options.ip;
    this.#log = options.logger.child({ component: "kernel-monitor", netns: options.ip.netns });
    this.#properties = options.properties;
    this.#onChange = options.onChange;
    this.#debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.#restartDelayMs = options.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS;
    this.#ipPath = options.ipPath ?? "ip";
    this.#renamer = options.renamer;
    // /sys/class/net shows the links of the namespace that mounted /sys: this one, without -n.
    this.#hwPaths = new HwPathCache({ sysfs: options.sysfs, ownNamespace: !options.ip.netns });
  }

  async start(): Promise<ReadonlyMap<string, LinkState>> {
    if (this.#phase !== "new") throw new Error("kernel monitor: start() may only be called once");
    this.#phase = "running";
    try {
      // Subscribed before the first dump: a change after the dump read its link is then an event.
      await this.#startChild();
      await this.#dump();
    } catch (error) {
      await this.stop();
      throw error;
    }
    return this.#links;
  }

  stop(): Promise<void> {
    this.#phase = "stopped";
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  links(): ReadonlyMap<string, LinkState> {
    return this.#links;
  }

  refresh(): Promise<void> {
    if (this.#phase === "new") return Promise.reject(new Error("kernel monitor: not started"));
    return this.#dump();
  }

  async #shutdown(): Promise<void> {
    clearTimeout(this.#debounceTimer);
    clearTimeout(this.#restartTimer);
    clearTimeout(this.#retryTimer);
    this.#abort.abort();
    for (const settle of this.#waiters.splice(0)) settle(undefined);
    const child = this.#child;
    this.#child = undefined;
    await Promise.all([child && stopChild(child), this.#dumping]);
  }

  // --- the monitor child -----------------------------------------------------

  async #startChild(): Promise<void> {
    const namespace = this.#ip.netns ? ["-n", this.#ip.netns] : [];
    const args = [...namespace, "-o", "-ts", "monitor", "label", "link", "address"];
    const child = startProgram(this.#ipPath, args, { env: inCLocale() });
    this.#child = child;
    this.#lastStderr = "";
    let exited = false;
    void processExit(child).then((result) => {
      exited = true;
      this.#onChildExit(child, result);
    });
    readLines(child.stdout, (line) => this.#onLine(line, "stdout"));
    readLines(child.stderr, (line) => this.#onLine(line, "stderr"));
    await spawned(child);
    // Not `pid`: pino already logs the manager's own under that name.
    const monitorPid = child.pid as number;
    if (await waitForSubscription(monitorPid, () => exited, SUBSCRIBE_TIMEOUT_MS)) {
      this.#log.debug({ monitorPid }, "ip monitor subscribed");
    } else if (!exited) {
      this.#log.warn({ monitorPid }, "could not confirm that ip monitor subscribed; carrying on");
    }
  }

  #onLine(line: string, stream: "stdout" | "stderr"): void {
    if (this.#phase === "stopped") return;
    if (line.includes(OVERRUN)) {
      this.#log.warn({ line }, "netlink overrun: events were lost, resyncing");
      this.#resync();
      return;
    }
    if (stream === "stderr") {
      this.#lastStderr = line;
      this.#log.warn({ line }, "ip monitor error output");
      return;
    }
    this.#trigger();
  }

  #onChildExit(child: ChildProcess, result: ProcessExit): void {
    if (child !== this.#child || this.#phase === "stopped") return;
    this.#child = undefined;
    if (!endedByGroupStop(result)) {
      this.#childLost(child, result);
      return;
    }
    // Perhaps the whole group is being stopped, the manager included: see group-signal.ts.
    this.#restartTimer = setTimeout(() => this.#childLost(child, result), GROUP_SIGNAL_GRACE_MS);
  }

  #childLost(child: ChildProcess, result: ProcessExit): void {
    if (this.#phase === "stopped") return;
    this.#log.error(
      {
        monitorPid: child.pid,
        exitCode: result.code,
        signal: result.signal,
        stderr: this.#lastStderr,
      },
      `ip monitor exited; resyncing, restarting in ${this.#restartDelayMs} ms`,
    );
    // Once now for what happened before the exit, once after the restart for the gap.
    this.#resync();
    this.#restartTimer = setTimeout(() => this.#restartChild(), this.#restartDelayMs);
  }

  #restartChild(): void {
    this.#restartTimer = undefined;
    if (this.#phase === "stopped") return;
    // A child that fails to start exits too, and its exit schedules the next attempt.
    this.#startChild().then(
      () => this.#resync(),
      (error: unknown) => this.#log.error({ err: error }, "could not restart ip monitor"),
    );
  }

  // --- dumps -------------------------------------------------------------------

  /**
   * The window runs from the first line of a burst, not the last, so a steady
   * stream of events cannot postpone the dump indefinitely.
   */
  #trigger(): void {
    this.#eventAt ??= performance.now();
    if (this.#debounceTimer) return;
    this.#debounceTimer = setTimeout(() => {
      this.#debounceTimer = undefined;
      this.#resync();
    }, this.#debounceMs);
  }

  #dump(): Promise<void> {
    if (this.#phase === "stopped") return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push((error) => (error ? reject(error) : resolve()));
      this.#resync();
    });
  }

  /** Asks for a dump; one already running is followed by exactly one more. */
  #resync(): void {
    if (this.#phase === "stopped") return;
    this.#dumpWanted = true;
    this.#dumping ??= this.#dumpLoop();
  }

  async #dumpLoop(): Promise<void> {
    try {
      while (this.#dumpWanted && this.#phase !== "stopped") {
        this.#dumpWanted = false;
        const waiters = this.#waiters.splice(0);
        const error = await this.#dumpOnce().then(
          () => undefined,
          (caught: unknown) => this.#dumpFailed(caught),
        );
        for (const settle of waiters) settle(error);
      }
    } finally {
      // Synchronous with the loop's last check: a request after it starts a new loop.
      this.#dumping = undefined;
    }
  }

  async #dumpOnce(): Promise<void> {
    const eventAt = this.#eventAt;
    this.#eventAt = undefined;
    const signal = this.#abort.signal;
    let read = await this.#read(signal);
    // Each round against the one before: a refused link is not refused (and logged) twice.
    let before = this.#links;
    for (let round = 0; this.#renamer && round < MAX_RENAME_ROUNDS; round += 1) {
      if (this.#phase === "stopped") return;
      if (!(await this.#renamer.renameAppeared(before, read.states, signal))) break;
      before = read.states;
      read = await this.#read(signal);
    }
    if (this.#phase === "stopped") return;
    const { links, states: next } = read;
    const changes = linkChanges(this.#links, next);
    this.#links = next;
    const names = allInterfaceNames(links);
    const namesChanged = !isDeepStrictEqual(names, this.#allInterfaces);
    this.#allInterfaces = names;
    if (changes.length === 0 && !namesChanged) return;
    this.#publish(changes, next, namesChanged ? names : undefined);
    this.#log.debug(
      {
        changed: changes.map((change) => change.ifname),
        latencyMs: eventAt === undefined ? undefined : performance.now() - eventAt,
      },
      "links changed",
    );
  }

  /** Both dumps, joined, with the hardware paths sysfs gives. */
  async #read(signal: AbortSignal): Promise<{ links: unknown; states: Map<string, LinkState> }> {
    // Both settle before a failure is thrown: no `ip` of a failed dump outlives it.
    const [linkDump, addressDump] = await Promise.allSettled([
      this.#ip.json<unknown>(["-d", "link", "show"], signal),
      this.#ip.json<unknown>(["addr", "show"], signal),
    ]);
    if (linkDump.status === "rejected") throw linkDump.reason;
    if (addressDump.status === "rejected") throw addressDump.reason;
    const [links, addresses] = [linkDump.value, addressDump.value];
    const hwPaths = await this.#hwPaths.lookup(links);
    return { links, states: parseLinkStates(links, addresses, hwPaths) };
  }

  #dumpFailed(error: unknown): Error | undefined {
    if (this.#phase === "stopped") return undefined;
    this.#log.error({ err: error }, "kernel dump failed; retrying");
    // No event may come for a while, and the state would stay stale until then.
    this.#retryTimer ??= setTimeout(() => {
      this.#retryTimer = undefined;
      this.#resync();
    }, this.#restartDelayMs);
    return error instanceof Error ? error : new Error(String(error));
  }

  #publish(
    changes: LinkChange[],
    links: ReadonlyMap<string, LinkState>,
    allInterfaces: string[] | undefined,
  ): void {
    this.#properties?.putMany([
      ...(allInterfaces ? [[["all_interfaces"], allInterfaces] as const] : []),
      ...changes.flatMap((change) => linkProperties(change.ifname, links.get(change.ifname))),
    ]);
    if (changes.length === 0) return;
    try {
      this.#onChange?.(changes, links);
    } catch (error) {
      this.#log.error({ err: error }, "onChange listener threw");
    }
  }
}

function readLines(stream: Readable | null | undefined, onLine: (line: string) => void): void {
  if (!stream) return;
  createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on("line", onLine);
}

function spawned(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once("spawn", () => resolve());
    child.once("error", reject);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  // By the pid we started, never by name: other `ip monitor`s may be running.
  const exited = processExit(child);
  child.kill("SIGTERM");
  await exited;
}

async function socketInodes(pid: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  return inodes;
}

/**
 * Whether `pid` holds a NETLINK_ROUTE socket that joined a multicast group.
 * `/proc/PID/net` shows the namespace the process is in, which for `ip -n` is
 * the monitored one. Columns: sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode.
 */
export async function subscribedToRtnetlink(pid: number): Promise<boolean> {
  const inodes = await socketInodes(pid);
  const table = await readFile(`/proc/${pid}/net/netlink`, "utf8");
  return table
    .split("\n")
    .slice(1)
    .some((row) => {
      const [, protocol, , groups, , , , , , inode] = row.trim().split(/\s+/);
      return (
        protocol === NETLINK_ROUTE &&
        groups !== undefined &&
        /[^0]/.test(groups) &&
        inode !== undefined &&
        inodes.has(inode)
      );
    });
}

/**
 * `ip monitor` says nothing when it is ready, so without this check a change
 * in the few ms between spawning it and its subscription could be missed.
 */
async function waitForSubscription(
  pid: number,
  hasExited: () => boolean,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!hasExited() && performance.now() < deadline) {
    if (await subscribedToRtnetlink(pid).catch(() => false)) return true;
    await sleep(1);
  }
  return false;
}
