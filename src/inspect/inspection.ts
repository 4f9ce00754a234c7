import { createInspector, type StatelyInspectionEvent } from "@statelyai/inspect";
import safeStableStringify from "safe-stable-stringify";
import WebSocket from "ws";
import type { InspectionEvent, Observer } from "xstate";
import type { Logger, LogLine } from "../log.js";
import { maskSecrets, scrubSecrets } from "../secrets.js";

/**
 * Live inspection: every actor, event and snapshot of the running system,
 * sent to a relay (`statenet inspect`, or any `@statelyai/inspect`
 * WebSocket server) for the Stately inspector or the local visualizer.
 * Nothing secret leaves the process: secret fields are masked by name, and
 * the configured secrets' values are scrubbed from the finished message
 * (they may sit inside a rendered config file).
 */

export interface InspectionOptions {
  /** The relay, e.g. `ws://127.0.0.1:8080`. */
  url: string;
  /** The secret values of the current configuration. */
  secrets: () => readonly string[];
  logger: Logger;
}

export interface Inspection {
  /** For `createActor(…, { inspect })`. */
  readonly inspect: Observer<InspectionEvent>;
  /** A property's new value (undefined: removed), for the visualizer's table. */
  property(key: string, value: unknown): void;
  /** A warning or error the daemon logged, for the visualizer's log panel. */
  log(line: LogLine): void;
  stop(): void;
}

/** Messages kept while the relay is away; the oldest go first. */
const MAX_QUEUED = 500;
const RECONNECT_MS = 2_000;
const stringify = safeStableStringify.configure({ maximumDepth: 10 });

/** statenet's own message beside the inspector's: one property change. */
interface PropertyMessage {
  type: "@statenet.property";
  key: string;
  value: unknown;
  at: number;
}

/** statenet's own message: a logged warning or error. */
interface LogMessage extends LogLine {
  type: "@statenet.log";
}

/** An actor's machine definition travels as a JSON string: its secret fields are masked too. */
function withMaskedDefinition(event: StatelyInspectionEvent): StatelyInspectionEvent {
  if (event.type !== "@xstate.actor" || typeof event.definition !== "string") return event;
  try {
    return { ...event, definition: JSON.stringify(maskSecrets(JSON.parse(event.definition))) };
  } catch {
    return event;
  }
}

/** A WebSocket client that reconnects, queues while away, and stops for good when told. */
class RelayAdapter {
  readonly #options: InspectionOptions;
  #socket: WebSocket | undefined;
  #queue: string[] = [];
  #retry: NodeJS.Timeout | undefined;
  #stopped = false;
  #warned = false;

  constructor(options: InspectionOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#stopped || this.#socket) return;
    const socket = new WebSocket(this.#options.url);
    this.#socket = socket;
    socket.on("open", () => {
      this.#warned = false;
      for (const message of this.#queue.splice(0)) socket.send(message);
    });
    socket.on("error", (error) => {
      if (this.#warned) return;
      this.#warned = true;
      this.#options.logger.warn(
        { url: this.#options.url, error: error.message },
        "inspection relay unreachable; retrying",
      );
    });
    socket.on("close", () => {
      this.#socket = undefined;
      if (this.#stopped) return;
      this.#retry = setTimeout(() => this.start(), RECONNECT_MS);
      // Waiting for a relay is no reason to keep a stopping process alive.
      this.#retry.unref();
    });
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#socket?.terminate();
    this.#socket = undefined;
    this.#queue = [];
  }

  send(event: StatelyInspectionEvent | PropertyMessage | LogMessage): void {
    if (this.#stopped) return;
    const masked = event.type.startsWith("@statenet.")
      ? event
      : withMaskedDefinition(event as StatelyInspectionEvent);
    const message = scrubSecrets(stringify(maskSecrets(masked)) ?? "null", this.#options.secrets());
    if (this.#socket?.readyState === WebSocket.OPEN) {
      this.#socket.send(message);
      return;
    }
    this.#queue.push(message);
    if (this.#queue.length > MAX_QUEUED) this.#queue.shift();
  }
}

export function createInspection(options: InspectionOptions): Inspection {
  const adapter = new RelayAdapter(options);
  const inspector = createInspector(adapter, {
    // Masked before the library's own serialisation sees anything.
    sanitizeContext: (context) => maskSecrets(context),
    sanitizeEvent: (event) => maskSecrets(event),
  });
  inspector.start();
  return {
    inspect: inspector.inspect as Observer<InspectionEvent>,
    property: (key, value) =>
      adapter.send({ type: "@statenet.property", key, value: value ?? null, at: Date.now() }),
    log: (line) => adapter.send({ type: "@statenet.log", ...line }),
    stop: () => inspector.stop(),
  };
}
