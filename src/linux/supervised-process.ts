import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { Logger } from "../log.js";
import type { CommandRunner } from "./command-runner.js";
import { forgetDaemon, recordDaemon } from "./daemon-pids.js";
import { endedByGroupStop, GROUP_SIGNAL_GRACE_MS } from "./group-signal.js";
import { processExit, terminate } from "./terminate.js";

/**
 * Keeps one daemon (udhcpc, wpa_supplicant) running: starts it, restarts it
 * with backoff when it dies and stops it by its pid. What the daemon says is
 * handed on line by line; what its death means is up to `onExit`.
 */

/** One start of the daemon; `start` is asked again for every restart. */
export interface ProcessStart {
  file: string;
  args: string[];
  /** The whole environment (nothing of the manager's leaks into it). */
  env: Record<string, string>;
  /** Called once this run's process is gone, whether it died or was stopped. */
  ended?: () => void;
}

export interface SupervisedProcessOptions {
  /** The daemon's name in log messages ("udhcpc exited"). */
  name: string;
  runner: CommandRunner;
  logger: Logger;
  start: () => ProcessStart;
  /** Each line of standard output and error; by default they are logged at debug level. */
  onLine?: (line: string) => void;
  /**
   * The process died on its own (not by stop); the restart is scheduled after
   * this returns. An exit 0, or a death by SIGTERM, SIGINT, SIGHUP or SIGQUIT,
   * that we did not cause is reported only if the process is not stopped
   * within a second: a supervisor may be stopping the whole group.
   */
  onExit?: (exit: { code: number | null; signal: string | null; ranMs: number }) => void;
  /** First delay before a restart; doubles per quick failure up to 30 s. Default 1000. */
  restartDelayMs?: number | undefined;
  /**
   * Start it again after it died (default). Off where the caller decides
   * about restarts itself (the WiFi machine has a state for it): `onExit` is
   * then the end of this supervisor's work.
   */
  restartOnExit?: boolean | undefined;
  /**
   * Keep a record of the running process's pid here (see daemon-pids.ts), so
   * that a manager started after this one was killed can end it.
   */
  pidFile?: string | undefined;
}

const DEFAULT_RESTART_DELAY_MS = 1_000;
/** The longest wait before a dead daemon is started again (the backoff's cap). */
export const MAX_RESTART_DELAY_MS = 30_000;
/** A run this long was healthy: the next failure starts the backoff over. */
const HEALTHY_RUN_MS = 30_000;

interface Run {
  child: ReturnType<CommandRunner["spawn"]>;
  startedAt: number;
  exited: Promise<void>;
}

export class SupervisedProcess {
  readonly #options: SupervisedProcessOptions;
  readonly #log: Logger;
  readonly #baseDelayMs: number;
  #nextDelayMs: number;
  #run: Run | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #restarts = 0;
  #stopping: Promise<void> | undefined;
  /** The run that restart() ended: its exit is no failure. */
  #replaced: Run | undefined;
  /** Writes and removals of the pid record, in the order of starts and exits. */
  #pidRecord: Promise<void> = Promise.resolve();

  /** Starts the first run at once; `start` throwing (a bad option) throws here. */
  constructor(options: SupervisedProcessOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#baseDelayMs = options.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS;
    this.#nextDelayMs = this.#baseDelayMs;
    this.#spawn();
  }

  /** The running process's pid; undefined between a death and its restart, and after stop. */
  get pid(): number | undefined {
    return this.#run?.child.pid;
  }

  /** How many times the process was started again after it died. */
  get restarts(): number {
    return this.#restarts;
  }

  get stopping(): boolean {
    return this.#stopping !== undefined;
  }

  /** Stops it (SIGTERM, SIGKILL after 2 s); resolves once the process is gone. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  /** Ends the running process and starts a new one at once: no backoff, no onExit. */
  restart(): void {
    if (this.#stopping) return;
    const run = this.#run;
    if (!run) {
      clearTimeout(this.#restartTimer);
      this.#respawn();
      return;
    }
    this.#replaced = run;
    if (run.child.pid !== undefined) void terminate(run.child.pid, run.exited);
  }

  signal(signal: NodeJS.Signals): void {
    const pid = this.pid;
    if (pid === undefined) return;
    try {
      process.kill(pid, signal);
    } catch (error) {
      // ESRCH: it died just now; its exit handler takes over.
      this.#log.debug({ err: error, signal }, `could not signal ${this.#options.name}`);
    }
  }

  async #stop(): Promise<void> {
    clearTimeout(this.#restartTimer);
    const run = this.#run;
    const pid = run?.child.pid;
    if (run) await (pid === undefined ? run.exited : terminate(pid, run.exited));
    await this.#pidRecord;
  }

  #spawn(): void {
    const start = this.#options.start();
    const child = this.#options.runner.spawn(start.file, start.args, { env: start.env });
    const run: Run = { child, startedAt: Date.now(), exited: Promise.resolve() };
    run.exited = this.#watch(run, start.ended);
    this.#run = run;
    this.#readLines(child.stderr);
    this.#readLines(child.stdout);
    const { pidFile, name } = this.#options;
    const { pid } = child;
    if (pidFile && pid !== undefined) {
      this.#pidRecord = this.#pidRecord.then(() => recordDaemon(pidFile, pid, this.#log));
    }
    this.#log.debug({ pid }, `${name} started`);
  }

  /** Resolves when the process is gone; then it is restarted unless stopped or replaced. */
  async #watch(run: Run, ended: (() => void) | undefined): Promise<void> {
    const { code, signal } = await processExit(run.child);
    ended?.();
    const { pidFile } = this.#options;
    if (pidFile) {
      this.#pidRecord = this.#pidRecord.then(() => forgetDaemon(pidFile)).catch(() => undefined);
    }
    if (this.#run === run) this.#run = undefined;
    if (this.#stopping) return;
    if (this.#replaced === run) {
      this.#replaced = undefined;
      this.#spawn();
      return;
    }
    const ranMs = Date.now() - run.startedAt;
    if (!endedByGroupStop({ code, signal })) {
      this.#died({ code, signal, ranMs });
      return;
    }
    // Perhaps the whole group is being stopped, the manager included: see group-signal.ts.
    this.#log.debug(
      { code, signal },
      `${this.#options.name} ended; waiting a moment, as we may be stopping too`,
    );
    this.#restartTimer = setTimeout(() => {
      if (!this.#stopping) this.#died({ code, signal, ranMs });
    }, GROUP_SIGNAL_GRACE_MS);
  }

  #died(exit: { code: number | null; signal: string | null; ranMs: number }): void {
    this.#log.warn(exit, `${this.#options.name} exited`);
    this.#options.onExit?.(exit);
    if (this.#options.restartOnExit ?? true) this.#scheduleRestart(exit.ranMs);
  }

  #scheduleRestart(ranMs: number): void {
    if (ranMs > HEALTHY_RUN_MS) this.#nextDelayMs = this.#baseDelayMs;
    const delay = this.#nextDelayMs;
    this.#nextDelayMs = Math.min(delay * 2, Math.max(MAX_RESTART_DELAY_MS, this.#baseDelayMs));
    this.#restartTimer = setTimeout(() => {
      if (!this.#stopping) this.#respawn();
    }, delay);
  }

  #respawn(): void {
    this.#restarts += 1;
    try {
      this.#spawn();
    } catch (error) {
      // What started once (its options were checked) should start again; if
      // not, keep trying rather than leave the interface without its daemon.
      this.#log.error({ err: error }, `could not restart ${this.#options.name}`);
      this.#scheduleRestart(0);
    }
  }

  #readLines(stream: Readable | null): void {
    if (!stream) return;
    const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    const onLine =
      this.#options.onLine ?? ((line) => this.#log.debug({ output: line }, this.#options.name));
    lines.on("line", onLine);
  }
}
