import type { Logger } from "../log.js";
import { STATENET_PROTOCOL } from "../route/constants.js";
import type { CommandRunner } from "./command-runner.js";
import { SupervisedProcess } from "./supervised-process.js";

/**
 * Tells the route manager when someone else's IPv4 default route in `main`
 * comes or goes (a DHCP client statenet does not run, an administrator's
 * `ip route add`), so that it is reported (`unmanaged_default_routes`,
 * whether it outranks statenet's) or, on an interface statenet manages,
 * removed, without waiting for the next resynchronisation.
 *
 * `ip -N -4 -o monitor route` runs supervised; statenet's own routes (its
 * protocol number), other tables and other route types are no news. Changes
 * are passed on at most once per `minIntervalMs`: a burst is one re-read,
 * and a daemon that keeps re-adding a route statenet removes costs one read
 * a second, not a busy loop.
 */

export interface RouteMonitorOptions {
  runner: CommandRunner;
  logger: Logger;
  onForeignChange: () => void;
  /** Default 1000. */
  minIntervalMs?: number;
  restartDelayMs?: number;
}

export interface RouteMonitor {
  stop(): Promise<void>;
}

/**
 * Whether a line of `ip -o monitor route` is about a default route in `main`
 * that statenet did not add. Events lost to a netlink overrun (`ip` says so
 * on stderr) count as news: reading again is the safe answer.
 */
export function isForeignDefaultRouteLine(line: string): boolean {
  if (/overrun|No buffer space|error/i.test(line)) return true;
  const route = line.replace(/^Deleted /, "");
  if (!route.startsWith("default ")) return false;
  if (/ table (?!main\b)\S+/.test(route)) return false;
  return !new RegExp(` proto ${STATENET_PROTOCOL}\\b`).test(route);
}

export function startRouteMonitor(options: RouteMonitorOptions): RouteMonitor {
  const { logger, onForeignChange } = options;
  const minIntervalMs = options.minIntervalMs ?? 1_000;
  let lastSentAt = Number.NEGATIVE_INFINITY;
  let pending: NodeJS.Timeout | undefined;
  let stopped = false;

  const changed = () => {
    if (stopped || pending) return;
    const wait = lastSentAt + minIntervalMs - performance.now();
    const send = () => {
      pending = undefined;
      if (stopped) return;
      lastSentAt = performance.now();
      onForeignChange();
    };
    if (wait <= 0) send();
    else pending = setTimeout(send, wait);
  };

  const monitor = new SupervisedProcess({
    name: "ip monitor route",
    runner: options.runner,
    logger: logger.child({ component: "route-monitor" }),
    restartDelayMs: options.restartDelayMs,
    start: () => ({
      file: "ip",
      // -N: protocols as numbers, whatever names /etc/iproute2/rt_protos gives them.
      args: ["-N", "-4", "-o", "monitor", "route"],
      env: { LC_ALL: "C", PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
    }),
    onLine: (line) => {
      if (!isForeignDefaultRouteLine(line)) return;
      logger.debug({ line }, "someone else's default route changed");
      changed();
    },
    // Whatever happened while it was not watching is news too.
    onExit: changed,
  });

  return {
    async stop() {
      stopped = true;
      clearTimeout(pending);
      await monitor.stop();
    },
  };
}
