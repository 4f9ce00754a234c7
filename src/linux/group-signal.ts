/**
 * A supervisor that stops the daemon may signal every process of its group
 * at once: systemd's `KillMode=control-group` signals the whole cgroup,
 * `kill -TERM -PGID` a process group, a terminal's Ctrl-C or hangup its
 * foreground job. A child of ours (udhcpc, wpa_supplicant, `ip monitor`)
 * that ends so is then no event to act on: the daemon itself is about to
 * stop, and may see the child's exit before its own signal (the kernel does
 * not order what different processes do with their signals). Acting on it
 * would take the lease, the port or the routes down on the way out. So such
 * an exit waits out a grace period and counts only if the daemon is not
 * stopping by then; a child ended by anyone on its own (a person) is handled
 * a second later. A crash (an error exit, SIGSEGV, SIGKILL) is handled at once.
 */

/** Long enough for the daemon to handle its own signal even on a loaded machine. */
export const GROUP_SIGNAL_GRACE_MS = 1_000;

/** What supervisors and terminals send to stop a group; SIGKILL gives the daemon no say anyway. */
const GROUP_STOP_SIGNALS: ReadonlySet<string> = new Set(["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT"]);

/**
 * Whether a child that ended so (not stopped by us) may have been stopped
 * with its group: it died of a stop signal, or exited 0, which is what
 * busybox udhcpc and wpa_supplicant do when they catch SIGTERM; run in the
 * foreground, neither exits 0 for any other reason.
 */
export function endedByGroupStop(exit: {
  code: number | null | undefined;
  signal: string | null | undefined;
}): boolean {
  return exit.code === 0 || (exit.signal != null && GROUP_STOP_SIGNALS.has(exit.signal));
}
