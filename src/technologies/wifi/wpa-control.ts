import type { Logger } from "../../log.js";
import { type ControlSocket, DatagramSendError, openControlSocket } from "./control-socket.js";

/**
 * A client of wpa_supplicant's control interface, shaped like its own
 * wpa_ctrl library: one socket for requests and replies, one attached
 * (ATTACH) socket on which it sends unsolicited events, `<level>TEXT`.
 *
 * wpa_supplicant answers each request to the socket that sent it and tags
 * nothing, so a socket has one request in flight and the reply is simply the
 * next datagram. A reply that comes after its request timed out would be
 * taken for the next request's: the request socket is therefore replaced
 * after a timeout, and the late reply goes to a socket that no longer exists.
 *
 * A restarted wpa_supplicant knows nothing of the old monitor socket: after
 * CTRL-EVENT-TERMINATING, or a restart, open a new WpaControl.
 *
 * Requests can carry passphrases (SET_NETWORK 0 psk "..."): logs and errors
 * name a request only by `describeCommand`, and events (which at debug
 * level echo commands) are never logged here.
 */

export const DEFAULT_TIMEOUT_MS = 5_000;
/** close() waits this long for DETACH's answer; a gone supplicant fails at once. */
const DETACH_TIMEOUT_MS = 1_000;

/** Every error a WpaControl gives for a request; `command` is the safe description of it. */
export class WpaControlError extends Error {
  constructor(
    readonly command: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "WpaControlError";
  }
}

/** No reply within the timeout (counted from the call, queueing included). */
export class WpaTimeoutError extends WpaControlError {
  constructor(
    command: string,
    readonly timeoutMs: number,
  ) {
    super(command, `wpa_supplicant did not answer ${command} within ${timeoutMs} ms`);
    this.name = "WpaTimeoutError";
  }
}

/** The WpaControl was closed before the request was answered (or made). */
export class WpaClosedError extends WpaControlError {
  constructor(command: string, options?: ErrorOptions) {
    super(command, `wpa_supplicant control closed: ${command} not answered`, options);
    this.name = "WpaClosedError";
  }
}

/** Nobody serves the control socket: wpa_supplicant is not running (ENOENT) or died (ECONNREFUSED). */
export class WpaUnreachableError extends WpaControlError {
  constructor(
    command: string,
    readonly code: string | undefined,
    options?: ErrorOptions,
  ) {
    super(command, `wpa_supplicant unreachable for ${command}: ${code ?? "send failed"}`, options);
    this.name = "WpaUnreachableError";
  }
}

/** A command that must answer OK said something else (FAIL, UNKNOWN COMMAND). */
export class WpaCommandFailed extends WpaControlError {
  constructor(
    command: string,
    readonly reply: string,
  ) {
    super(command, `wpa_supplicant refused ${command}: ${reply.slice(0, 80)}`);
    this.name = "WpaCommandFailed";
  }
}

/** A request argument that cannot be sent; `field` names it. */
export class WpaInvalidRequestError extends TypeError {
  constructor(
    readonly field: "command" | "timeoutMs",
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = "WpaInvalidRequestError";
  }
}

/** An unsolicited message from the monitor socket: `<3>CTRL-EVENT-...` is level 3. */
export interface WpaMonitorEvent {
  /** wpa_supplicant's message level: 0 excessive … 2 debug, 3 info, 4 warning, 5 error. */
  level: number;
  text: string;
}

export type WpaEventListener = (event: WpaMonitorEvent) => void;

export interface WpaControlOptions {
  /** Our sockets are bound here; created with mode 0700 (an existing one gets that mode). */
  localDir: string;
  logger: Logger;
  /** Given at open, it misses no event sent after ATTACH. */
  onEvent?: WpaEventListener | undefined;
  /** For ATTACH. Default DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number | undefined;
}

export interface RequestOptions {
  /** Default DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number | undefined;
}

/** Commands whose second or third word names a field; the value after it is never shown. */
const FIELD_COMMANDS = new Set([
  "SET",
  "GET",
  "SET_NETWORK",
  "GET_NETWORK",
  "SET_CRED",
  "GET_CRED",
]);

/**
 * What logs and errors may say about a request: the command word, a
 * network id and the field name ("SET_NETWORK 0 psk"), never a value.
 */
export function describeCommand(command: string): string {
  const [word = "", ...rest] = command.trim().split(/\s+/);
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(word)) return "(unnamed command)";
  const parts = [word];
  let next = 0;
  if (/^\d{1,10}$/.test(rest[next] ?? "")) {
    parts.push(rest[next] as string);
    next += 1;
  }
  const field = rest[next];
  if (FIELD_COMMANDS.has(word.toUpperCase()) && field && /^[A-Za-z0-9_]{1,40}$/.test(field)) {
    parts.push(field);
  }
  return parts.join(" ");
}

const EVENT = /^<(\d+)>/;

/** `<3>CTRL-EVENT-CONNECTED ...` as level and text; undefined for anything that is no event (a reply). */
export function parseMonitorMessage(message: string): WpaMonitorEvent | undefined {
  const match = EVENT.exec(message);
  if (!match) return undefined;
  return { level: Number(match[1]), text: message.slice(match[0].length) };
}

function validateRequest(command: string, timeoutMs: number): WpaInvalidRequestError | undefined {
  if (typeof command !== "string" || command.trim() === "") {
    return new WpaInvalidRequestError("command", "must be a non-empty string");
  }
  // wpa_supplicant writes network settings into its config file line by line.
  if (/[\0\r\n]/.test(command)) {
    return new WpaInvalidRequestError(
      "command",
      `${describeCommand(command)} contains a NUL or line break`,
    );
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    return new WpaInvalidRequestError("timeoutMs", `must be a positive number, got ${timeoutMs}`);
  }
  return undefined;
}

interface Job {
  data: Buffer;
  description: string;
  timeoutMs: number;
  startedAt: number;
  timer: NodeJS.Timeout | undefined;
  resolve: (reply: string) => void;
  reject: (error: Error) => void;
}

interface ChannelOptions {
  serverPath: string;
  localDir: string;
  logger: Logger;
  /** Set on the monitor: datagrams that look like events go here, not to the request in flight. */
  onEvent?: ((event: WpaMonitorEvent) => void) | undefined;
  /**
   * Replace the socket after a timeout (see the top of this file). Not on
   * the monitor: a new socket there would no longer be attached.
   */
  freshSocketAfterTimeout: boolean;
  /** The socket failed while receiving; the request in flight has been failed. */
  onFailure: (error: Error) => void;
}

/** One socket's requests, answered strictly in turn. */
class ReplyChannel {
  readonly #options: ChannelOptions;
  readonly #log: Logger;
  readonly #queue: Job[] = [];
  #inFlight: Job | undefined;
  #socket: Promise<ControlSocket> | undefined;
  /** Bumped when the socket is replaced: datagrams reaching an older one are dropped. */
  #generation = 0;
  readonly #retiring = new Set<Promise<void>>();
  #closing: Promise<void> | undefined;

  constructor(options: ChannelOptions) {
    this.#options = options;
    this.#log = options.logger;
  }

  /** Binds the socket now, so that a bad localDir fails at open. */
  async bind(): Promise<void> {
    await this.#currentSocket();
  }

  request(command: string, timeoutMs: number): Promise<string> {
    const description = describeCommand(command);
    if (this.#closing) return Promise.reject(new WpaClosedError(description));
    return new Promise((resolve, reject) => {
      const job: Job = {
        data: Buffer.from(command, "utf8"),
        description,
        timeoutMs,
        startedAt: performance.now(),
        timer: undefined,
        resolve,
        reject,
      };
      job.timer = setTimeout(() => this.#expire(job), timeoutMs);
      this.#queue.push(job);
      this.#next();
    });
  }

  /** Fails what is queued or in flight with WpaClosedError and removes the socket files. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const job of this.#queue.splice(0)) this.#fail(job, new WpaClosedError(job.description));
      const job = this.#inFlight;
      if (job) this.#fail(job, new WpaClosedError(job.description));
      this.#retireSocket();
      await Promise.all(this.#retiring);
    })();
    return this.#closing;
  }

  #next(): void {
    if (this.#inFlight || this.#closing) return;
    const job = this.#queue.shift();
    if (!job) return;
    this.#inFlight = job;
    void this.#send(job);
  }

  async #send(job: Job): Promise<void> {
    try {
      const socket = await this.#currentSocket();
      // Expired or closed while the socket was being bound.
      if (this.#inFlight !== job) return;
      await socket.send(job.data);
    } catch (error) {
      if (this.#inFlight !== job) return;
      this.#fail(job, this.#sendError(job, error as Error));
      this.#next();
    }
  }

  #sendError(job: Job, error: Error): Error {
    if (error instanceof DatagramSendError) {
      return new WpaUnreachableError(job.description, error.code, { cause: error });
    }
    // Binding our socket failed (ControlSocketError and the like): the caller learns why.
    return error;
  }

  #expire(job: Job): void {
    const queued = this.#queue.indexOf(job);
    if (queued >= 0) this.#queue.splice(queued, 1);
    const wasInFlight = this.#inFlight === job;
    this.#fail(job, new WpaTimeoutError(job.description, job.timeoutMs));
    this.#log.warn(
      { command: job.description, timeoutMs: job.timeoutMs },
      "wpa_supplicant timeout",
    );
    if (wasInFlight && this.#options.freshSocketAfterTimeout) this.#retireSocket();
    this.#next();
  }

  #fail(job: Job, error: Error): void {
    clearTimeout(job.timer);
    if (this.#inFlight === job) this.#inFlight = undefined;
    job.reject(error);
  }

  #onMessage(data: Buffer): void {
    const text = data.toString("utf8");
    const event = this.#options.onEvent ? parseMonitorMessage(text) : undefined;
    if (event) {
      this.#options.onEvent?.(event);
      return;
    }
    const job = this.#inFlight;
    if (!job) {
      this.#log.debug(
        { bytes: data.length },
        "wpa_supplicant reply with no request in flight dropped",
      );
      return;
    }
    clearTimeout(job.timer);
    this.#inFlight = undefined;
    this.#log.debug(
      { command: job.description, ms: Math.round((performance.now() - job.startedAt) * 10) / 10 },
      "wpa_supplicant request",
    );
    job.resolve(text);
    this.#next();
  }

  #onSocketError(generation: number, error: Error): void {
    if (generation !== this.#generation) return;
    this.#retireSocket();
    const job = this.#inFlight;
    if (job) {
      this.#fail(
        job,
        new WpaControlError(job.description, "control socket failed", { cause: error }),
      );
    }
    this.#options.onFailure(error);
    this.#next();
  }

  #currentSocket(): Promise<ControlSocket> {
    if (this.#socket) return this.#socket;
    const generation = this.#generation;
    const opening = openControlSocket(this.#options.serverPath, {
      localDir: this.#options.localDir,
      onMessage: (data) => {
        if (generation === this.#generation) this.#onMessage(data);
      },
      onError: (error) => this.#onSocketError(generation, error),
    });
    this.#socket = opening;
    opening.catch(() => {
      if (this.#socket === opening) this.#socket = undefined;
    });
    return opening;
  }

  #retireSocket(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#generation += 1;
    if (!socket) return;
    const closed = socket.then(
      (open) => open.close(),
      () => undefined,
    );
    const tracked = closed.catch((error: unknown) => {
      this.#log.warn({ err: error }, "could not remove a control socket");
    });
    this.#retiring.add(tracked);
    void tracked.finally(() => this.#retiring.delete(tracked));
  }
}

export class WpaControl {
  readonly socketPath: string;
  readonly #log: Logger;
  readonly #requests: ReplyChannel;
  readonly #monitor: ReplyChannel;
  readonly #listeners = new Set<WpaEventListener>();
  #attached = false;
  #closing: Promise<void> | undefined;

  private constructor(socketPath: string, options: WpaControlOptions) {
    this.socketPath = socketPath;
    this.#log = options.logger.child({ component: "wpa_control", socket: socketPath });
    if (options.onEvent) this.#listeners.add(options.onEvent);
    const common = { serverPath: socketPath, localDir: options.localDir, logger: this.#log };
    this.#requests = new ReplyChannel({
      ...common,
      freshSocketAfterTimeout: true,
      onFailure: (error) =>
        this.#log.warn({ err: error }, "request socket failed; a new one is bound"),
    });
    this.#monitor = new ReplyChannel({
      ...common,
      freshSocketAfterTimeout: false,
      onEvent: (event) => this.#deliver(event),
      onFailure: (error) => {
        this.#log.error({ err: error }, "monitor socket failed: no more events, closing");
        void this.close();
      },
    });
  }

  /**
   * Binds both sockets in `localDir` and attaches the monitor. Fails with
   * WpaUnreachableError when nothing serves `socketPath` yet (wpa_supplicant
   * still starting), WpaTimeoutError or WpaCommandFailed; nothing is left
   * bound then.
   */
  static async open(socketPath: string, options: WpaControlOptions): Promise<WpaControl> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const invalid = validateRequest("ATTACH", timeoutMs);
    if (invalid) throw invalid;
    const control = new WpaControl(socketPath, options);
    try {
      await control.#requests.bind();
      await control.#monitor.bind();
      const reply = await control.#monitor.request("ATTACH", timeoutMs);
      if (reply.trim() !== "OK") throw new WpaCommandFailed("ATTACH", reply.trim());
      control.#attached = true;
    } catch (error) {
      await control.close();
      throw error;
    }
    control.#log.info("attached to wpa_supplicant");
    return control;
  }

  /** The reply as wpa_supplicant sent it (most end in a newline). */
  request(command: string, options: RequestOptions = {}): Promise<string> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const invalid = validateRequest(command, timeoutMs);
    if (invalid) return Promise.reject(invalid);
    if (this.#closing) return Promise.reject(new WpaClosedError(describeCommand(command)));
    return this.#requests.request(command, timeoutMs);
  }

  /** For commands that answer OK on success: anything else is a WpaCommandFailed. */
  async requestOk(command: string, options: RequestOptions = {}): Promise<void> {
    const reply = (await this.request(command, options)).trim();
    if (reply !== "OK") throw new WpaCommandFailed(describeCommand(command), reply);
  }

  /**
   * Whether wpa_supplicant answers PONG in time. Unreachable or silent is
   * false; a closed WpaControl throws WpaClosedError (asking it is a bug).
   */
  async ping(timeoutMs = 1_000): Promise<boolean> {
    try {
      return (await this.request("PING", { timeoutMs })).trim() === "PONG";
    } catch (error) {
      if (error instanceof WpaTimeoutError || error instanceof WpaUnreachableError) return false;
      throw error;
    }
  }

  /** Adds a listener for monitor events; returns its removal. */
  onEvent(listener: WpaEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** DETACH if attached (best effort), then close both sockets and remove their files. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await this.#requests.close();
    if (this.#attached) {
      this.#attached = false;
      await this.#monitor.request("DETACH", DETACH_TIMEOUT_MS).catch((error: Error) => {
        this.#log.debug({ err: error }, "DETACH not answered");
      });
    }
    await this.#monitor.close();
    this.#log.info("wpa_supplicant control closed");
  }

  #deliver(event: WpaMonitorEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#log.error({ err: error }, "wpa_supplicant event listener threw");
      }
    }
  }
}
