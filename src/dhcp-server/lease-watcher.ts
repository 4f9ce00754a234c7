import { type FSWatcher, watch } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { Logger } from "../log.js";
import {
  activeLeases,
  type DhcpLease,
  type LeaseFile,
  LeaseFileError,
  nextExpiry,
  parseLeaseFile,
} from "./leases.js";

/**
 * Follows udhcpd's lease file and reports the leases clients hold whenever
 * they change: on every write of the file (inotify on its directory, since
 * the file comes and goes), on a poll as a safety net for a lost event or a
 * watch the system refused, and when a lease runs out (no write says so).
 */

export interface LeaseWatcherOptions {
  path: string;
  logger: Logger;
  /** Called with the first reading, then only when the leases differ. Not called after close. */
  onLeases: (leases: DhcpLease[]) => void;
  /** Read the file this often even without an event. */
  pollMs: number;
  /**
   * How long the file must be left alone before it is read: udhcpd truncates
   * it, then writes it a record at a time, and a read in between would see
   * too few leases. The poll reads whatever is there, settled or not.
   */
  settleMs?: number;
  now?: () => Date;
}

/** setTimeout's longest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class LeaseWatcher {
  readonly #options: LeaseWatcherOptions;
  readonly #now: () => Date;
  readonly #poll: NodeJS.Timeout;
  #watcher: FSWatcher | undefined;
  #settle: NodeJS.Timeout | undefined;
  #expiry: NodeJS.Timeout | undefined;
  /** The read under way; a change seen meanwhile reads again after it. */
  #reading: Promise<void> | undefined;
  #readAgain = false;
  /** The last whole file read; undefined while there is none. */
  #file: LeaseFile | undefined;
  #published: string | undefined;
  #leases: DhcpLease[] = [];
  #closed = false;

  constructor(options: LeaseWatcherOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.#watch();
    this.#poll = setInterval(() => this.#read(), options.pollMs);
    this.#poll.unref();
    this.#read();
  }

  /** The leases last reported. */
  get leases(): readonly DhcpLease[] {
    return this.#leases;
  }

  /** Stops watching; resolves once no read is under way. Nothing is reported after it. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#watcher?.close();
    clearInterval(this.#poll);
    clearTimeout(this.#settle);
    clearTimeout(this.#expiry);
    await this.#reading;
  }

  #watch(): void {
    const { path, logger } = this.#options;
    const name = basename(path);
    try {
      this.#watcher = watch(dirname(path), { persistent: false }, (_event, filename) => {
        // Some file systems do not say which file changed.
        if (filename === null || filename === name) this.#changed();
      });
      this.#watcher.on("error", (error) => {
        logger.warn({ err: error }, "lost the watch on the lease file; polling it");
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch (error) {
      // Out of inotify watches, say: the poll still finds every change, later.
      logger.warn({ err: error }, "cannot watch the lease file; polling it");
    }
  }

  /** Reads once the file has been quiet for settleMs: udhcpd writes a whole file in one go. */
  #changed(): void {
    if (this.#closed) return;
    clearTimeout(this.#settle);
    this.#settle = setTimeout(() => {
      this.#settle = undefined;
      this.#read();
    }, this.#options.settleMs ?? 20);
  }

  #read(): void {
    if (this.#closed) return;
    if (this.#reading) {
      this.#readAgain = true;
      return;
    }
    this.#reading = this.#readOnce().finally(() => {
      this.#reading = undefined;
      if (this.#readAgain) {
        this.#readAgain = false;
        this.#read();
      }
    });
  }

  async #readOnce(): Promise<void> {
    const { path, logger } = this.#options;
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        logger.warn({ err: error, path }, "cannot read the lease file");
        return;
      }
      // udhcpd writes it only once it has something to say (or on a timer).
      this.#file = undefined;
      this.#publish();
      return;
    }
    try {
      const file = parseLeaseFile(bytes);
      if (file.truncated) {
        // Read half-written: the write's own change event reads it again.
        logger.debug({ bytes: bytes.length }, "lease file read while being written");
        return;
      }
      this.#file = file;
    } catch (error) {
      if (error instanceof LeaseFileError) {
        logger.debug({ err: error }, "lease file read while being written, or not udhcpd's");
      } else {
        logger.error({ err: error }, "cannot parse the lease file");
      }
      return;
    }
    this.#publish();
  }

  #publish(): void {
    if (this.#closed) return;
    const leases = this.#file ? activeLeases(this.#file, this.#now()) : [];
    this.#scheduleExpiry(leases);
    const text = JSON.stringify(leases);
    if (text === this.#published) return;
    this.#published = text;
    this.#leases = leases;
    try {
      this.#options.onLeases(leases);
    } catch (error) {
      this.#options.logger.error({ err: error }, "publishing DHCP leases failed");
    }
  }

  /** The next lease to run out drops from the list then, without waiting for udhcpd's next write. */
  #scheduleExpiry(leases: readonly DhcpLease[]): void {
    clearTimeout(this.#expiry);
    this.#expiry = undefined;
    const next = nextExpiry(leases);
    if (next === undefined) return;
    const delay = Math.min(Math.max(next.getTime() - this.#now().getTime() + 1, 0), MAX_TIMER_MS);
    this.#expiry = setTimeout(() => this.#publish(), delay);
    this.#expiry.unref();
  }
}
