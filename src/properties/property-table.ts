import { isDeepStrictEqual } from "node:util";

/** A property name: path segments, e.g. `["interface", "eth0", "connection"]`. */
export type PropertyKey = readonly string[];

/** Matches any single segment in `match` patterns and subscription prefixes. */
export const ANY = "*";
/** As the last segment of a `match` pattern, matches any number of remaining segments. */
export const REST = "**";

/**
 * When a value was set: monotonic milliseconds (`performance.now()` unless the
 * table was given another clock), as VintageNet stamps its properties with
 * `System.monotonic_time()`. Monotonic, not wall-clock, because the clock of
 * a device without a battery-backed RTC jumps when NTP first sets it: a
 * difference of two stamps is a true duration ("connected for 3 min"), and
 * stamps order changes. A stamp is no date, and means nothing outside the
 * process that made it (it starts near 0 at each start).
 */
export type PropertyTimestamp = number;

export interface PropertyChange<V = unknown> {
  key: PropertyKey;
  old: V | undefined;
  new: V | undefined;
  /** When the old value was set (VintageNet's `old_timestamp`); undefined when the key is new. */
  oldTimestamp: PropertyTimestamp | undefined;
  /** When this change happened (`new_timestamp`), also for a value cleared. */
  newTimestamp: PropertyTimestamp;
}

/** A value and when it was set; a put of a deep-equal value keeps the earlier stamp. */
export interface TimestampedValue<V = unknown> {
  value: V;
  timestamp: PropertyTimestamp;
}

export type PropertyListener = (change: PropertyChange) => void;

export interface PropertyTableOptions {
  /** Monotonic clock in milliseconds (see PropertyTimestamp). Defaults to `performance.now()`. */
  now?: () => PropertyTimestamp;
  /** Called when a listener throws; the table and the other listeners carry on. */
  onListenerError?: (error: unknown, change: PropertyChange) => void;
}

interface Entry {
  key: PropertyKey;
  value: unknown;
  timestamp: PropertyTimestamp;
}

interface Subscription {
  prefix: PropertyKey;
  listener: PropertyListener;
}

// Segments are plain strings, so a separator that cannot appear in interface
// names or property names keeps the flat map unambiguous.
const SEPARATOR = "\u0000";
const flatten = (key: PropertyKey): string => key.join(SEPARATOR);

function segmentMatches(pattern: string, segment: string): boolean {
  return pattern === ANY || pattern === segment;
}

export function keyHasPrefix(key: PropertyKey, prefix: PropertyKey): boolean {
  if (prefix.length > key.length) return false;
  return prefix.every((segment, i) => segmentMatches(segment, key[i] as string));
}

export function keyMatchesPattern(key: PropertyKey, pattern: PropertyKey): boolean {
  if (pattern.at(-1) === REST) return keyHasPrefix(key, pattern.slice(0, -1));
  return pattern.length === key.length && keyHasPrefix(key, pattern);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function byKey(a: { key: PropertyKey }, b: { key: PropertyKey }): number {
  const x = flatten(a.key);
  const y = flatten(b.key);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The table of everything statenet knows, in VintageNet's shape. Notifications
 * are delivered in the order the changes happened, also when a listener writes
 * to the table from inside its callback.
 */
export class PropertyTable {
  readonly #entries = new Map<string, Entry>();
  readonly #subscriptions = new Set<Subscription>();
  readonly #queue: PropertyChange[] = [];
  #delivering = false;
  readonly #now: () => PropertyTimestamp;
  readonly #onListenerError: (error: unknown, change: PropertyChange) => void;

  constructor(options: PropertyTableOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#onListenerError = options.onListenerError ?? (() => {});
  }

  get<V = unknown>(key: PropertyKey): V | undefined {
    return this.#entries.get(flatten(key))?.value as V | undefined;
  }

  /** The value with the time it was set (VintageNet's `fetch_with_timestamp`); undefined when unset. */
  getWithTimestamp<V = unknown>(key: PropertyKey): TimestampedValue<V> | undefined {
    const entry = this.#entries.get(flatten(key));
    return entry && { value: entry.value as V, timestamp: entry.timestamp };
  }

  /** Every property under `prefix` (wildcards allowed), sorted by key. */
  getByPrefix(prefix: PropertyKey): Array<[PropertyKey, unknown]> {
    return this.#select((key) => keyHasPrefix(key, prefix));
  }

  /** Properties whose key matches `pattern` segment by segment; `*` matches one segment, a final `**` the rest. */
  match(pattern: PropertyKey): Array<[PropertyKey, unknown]> {
    return this.#select((key) => keyMatchesPattern(key, pattern));
  }

  put(key: PropertyKey, value: unknown): void {
    this.#set(key, value);
    this.#deliver();
  }

  /** Writes all values first, then notifies, so listeners see the table with every change in. */
  putMany(entries: Iterable<readonly [PropertyKey, unknown]>): void {
    for (const [key, value] of entries) this.#set(key, value);
    this.#deliver();
  }

  clear(key: PropertyKey): void {
    this.#remove(flatten(key));
    this.#deliver();
  }

  clearPrefix(prefix: PropertyKey): void {
    for (const [flat, entry] of this.#entries) {
      if (keyHasPrefix(entry.key, prefix)) this.#remove(flat);
    }
    this.#deliver();
  }

  /** Calls `listener` for every change under `prefix` (wildcards allowed); returns the unsubscribe function. */
  subscribe(prefix: PropertyKey, listener: PropertyListener): () => void {
    const subscription: Subscription = { prefix: [...prefix], listener };
    this.#subscriptions.add(subscription);
    return () => {
      this.#subscriptions.delete(subscription);
    };
  }

  #select(predicate: (key: PropertyKey) => boolean): Array<[PropertyKey, unknown]> {
    return [...this.#entries.values()]
      .filter((entry) => predicate(entry.key))
      .sort(byKey)
      .map((entry) => [entry.key, entry.value]);
  }

  #set(key: PropertyKey, value: unknown): void {
    if (value === undefined) {
      this.#remove(flatten(key));
      return;
    }
    const flat = flatten(key);
    const previous = this.#entries.get(flat);
    if (previous && isDeepStrictEqual(previous.value, value)) return;
    // A copy, frozen: a caller changing its array later must not change the table behind its back.
    const entry: Entry = {
      key: [...key],
      value: deepFreeze(structuredClone(value)),
      timestamp: this.#now(),
    };
    this.#entries.set(flat, entry);
    this.#queue.push({
      key: entry.key,
      old: previous?.value,
      new: entry.value,
      oldTimestamp: previous?.timestamp,
      newTimestamp: entry.timestamp,
    });
  }

  #remove(flat: string): void {
    const previous = this.#entries.get(flat);
    if (!previous) return;
    this.#entries.delete(flat);
    this.#queue.push({
      key: previous.key,
      old: previous.value,
      new: undefined,
      oldTimestamp: previous.timestamp,
      newTimestamp: this.#now(),
    });
  }

  #reportListenerError(error: unknown, change: PropertyChange): void {
    try {
      this.#onListenerError(error, change);
    } catch {
      // The error reporter itself failed; delivery must go on regardless.
    }
  }

  #deliver(): void {
    // A listener that writes to the table lands here again; the outer loop
    // delivers its change after the current one, keeping the order.
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      for (let change = this.#queue.shift(); change; change = this.#queue.shift()) {
        for (const subscription of [...this.#subscriptions]) {
          if (!keyHasPrefix(change.key, subscription.prefix)) continue;
          try {
            subscription.listener(change);
          } catch (error) {
            this.#reportListenerError(error, change);
          }
        }
      }
    } finally {
      this.#delivering = false;
    }
  }
}
