import { realpath, rm } from "node:fs/promises";
import { join } from "node:path";
import type { DgramSocket } from "node-unix-socket";
import { ensurePrivateDirectory } from "../../linux/private-socket.js";

/**
 * AF_UNIX datagram sockets, the transport of wpa_supplicant's control
 * interface (and of a fake one in tests).
 *
 * Why this transport: Node 20's `dgram` refuses unix datagram sockets and
 * `net` is stream-only, so it comes from `node-unix-socket` (napi-rs, MIT):
 * prebuilt binaries arrive as optional dependencies per platform (linux x64
 * and arm64 with glibc or musl, armv7 with glibc), nothing is compiled on
 * the device, and N-API keeps one binary working across Node versions. Its
 * last release is 0.2.7 (October 2024) and its arm64-musl binary may lag a
 * version behind: a device build must check that its platform's package
 * installed (the addon then loads; see below). Measured on the
 * development host (x86_64, Node 20.20, wpa_supplicant 2.10 `-D wired` in
 * another network namespace, PING round trips):
 *
 *                         p50       p99      memory                  start
 *   node-unix-socket      0.05 ms   0.3 ms   +4.6 MiB RSS at import  ~20 ms import
 *   wpa_cli per command   3.1 ms    6.7 ms   a 2.2 MiB process each  (in the 3 ms)
 *   wpa_cli interactive   0.08 ms   2.0 ms   a 2.9 MiB process       ~2 ms to first reply
 *
 * On the same 2-core host at load 15: p99 8 ms through the socket, 36 ms
 * (p50 12 ms) for wpa_cli per command. Install size 0.6 MB (60 kB of
 * JavaScript, a 0.5 MB .node for the one platform npm picks); 100,000
 * PINGs leave RSS flat after the first 20,000.
 * `wpa_cli` per command puts arguments (passphrases) on a command line that
 * any process can read in /proc and cannot receive events; interactive
 * `wpa_cli` frames replies only by its "> " prompt, with events and
 * readline redraws interleaved. `unix-dgram` needs node-gyp and a compiler
 * on the device. The socket file lives in the file system, so a process in
 * the initial network namespace talks to a wpa_supplicant started with
 * `ip netns exec` (checked on that host).
 *
 * The addon is loaded on first use, not at import: a device with no WiFi
 * never loads it, and one whose platform has no prebuilt binary gets a
 * `ControlSocketUnavailableError` when WiFi starts rather than a crash at boot.
 */

/** sockaddr_un.sun_path holds 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

/** Bad input or a socket that could not be set up; `field` names the option at fault. */
export class ControlSocketError extends Error {
  constructor(
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${field}: ${message}`, options);
    this.name = "ControlSocketError";
  }
}

/** node-unix-socket has no binary for this platform (or it failed to load). */
export class ControlSocketUnavailableError extends Error {
  constructor(options?: ErrorOptions) {
    super(
      `unix datagram sockets are unavailable: node-unix-socket has no working binary for ${process.platform}-${process.arch}`,
      options,
    );
    this.name = "ControlSocketUnavailableError";
  }
}

/** A datagram could not be sent; `code` is the errno name (ENOENT, ECONNREFUSED: nobody is bound there). */
export class DatagramSendError extends Error {
  constructor(
    readonly path: string,
    readonly code: string | undefined,
    options?: ErrorOptions,
  ) {
    super(`cannot send to ${path}: ${code ?? "send failed"}`, options);
    this.name = "DatagramSendError";
  }
}

type Addon = typeof import("node-unix-socket");
let addon: Promise<Addon> | undefined;

function loadAddon(): Promise<Addon> {
  addon ??= import("node-unix-socket").catch((error: unknown) => {
    addon = undefined;
    throw new ControlSocketUnavailableError({ cause: error });
  });
  return addon;
}

function assertSocketPath(field: string, path: string): void {
  if (path === "" || path.includes("\0")) {
    throw new ControlSocketError(field, "must be a non-empty path without NUL bytes");
  }
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new ControlSocketError(field, `${path} is longer than ${MAX_SOCKET_PATH_BYTES} bytes`);
  }
}

export interface DatagramHandlers {
  /** One datagram and the path of the socket that sent it ("" for an unbound sender). */
  onMessage: (data: Buffer, from: string) => void;
  /** Receiving failed; the socket is closed by then. */
  onError: (error: Error) => void;
}

/** A datagram socket bound to a path; closing it removes the socket file. */
export class UnixDatagramSocket {
  readonly path: string;
  readonly #socket: DgramSocket;
  #closing: Promise<void> | undefined;

  private constructor(path: string, socket: DgramSocket) {
    this.path = path;
    this.#socket = socket;
  }

  /**
   * Binds a new socket at `path`, replacing a file left there: callers bind
   * only inside a directory of their own.
   */
  static async bind(path: string, handlers: DatagramHandlers): Promise<UnixDatagramSocket> {
    assertSocketPath("path", path);
    const { DgramSocket } = await loadAddon();
    await rm(path, { force: true });
    const socket = new DgramSocket();
    const bound = new UnixDatagramSocket(path, socket);
    socket.on("data", (data: Buffer, from: string) => {
      // The addon emits from a native callback: an exception here would be uncaught.
      try {
        handlers.onMessage(data, from);
      } catch (error) {
        handlers.onError(error as Error);
      }
    });
    socket.on("error", (error: Error) => {
      void bound.close();
      handlers.onError(error);
    });
    try {
      socket.bind(path);
      // The addon builds sockaddr_un itself, per platform: a binary that got it wrong binds elsewhere.
      const address = socket.address();
      if (address !== path) throw new Error(`bound to ${JSON.stringify(address)} instead`);
    } catch (error) {
      // An open socket keeps the event loop alive, bound or not.
      socket.close();
      throw new ControlSocketError("path", `cannot bind ${path}`, { cause: error });
    }
    return bound;
  }

  /** Resolves once the kernel took the datagram; a closed socket rejects. */
  sendTo(path: string, data: Buffer): Promise<void> {
    if (this.#closing) return Promise.reject(new DatagramSendError(path, "ECLOSED"));
    return new Promise((resolve, reject) => {
      const sent = (error: Error | undefined) => {
        if (error) reject(new DatagramSendError(path, errnoName(error), { cause: error }));
        else resolve();
      };
      try {
        this.#socket.sendTo(data, 0, data.length, path, sent);
      } catch (error) {
        sent(error as Error);
      }
    });
  }

  /** Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        this.#socket.close();
      } finally {
        await rm(this.path, { force: true });
      }
    })();
    return this.#closing;
  }
}

/**
 * The addon's errors carry only strerror's text ("Connection refused"), no
 * code; these are the ones sendmsg gives for a path nobody serves.
 */
function errnoName(error: Error): string | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === "string") return code;
  return ERRNO_NAMES[error.message];
}

const ERRNO_NAMES: Record<string, string> = {
  "No such file or directory": "ENOENT",
  "Connection refused": "ECONNREFUSED",
  "Permission denied": "EACCES",
  "Not a directory": "ENOTDIR",
  "Protocol wrong type for socket": "EPROTOTYPE",
  "Operation not permitted": "EPERM",
};

export interface ControlSocketOptions {
  /** Our end is bound in this directory, created with mode 0700 (an existing one gets that mode). */
  localDir: string;
  /** One datagram from the server; datagrams from anyone else are dropped. */
  onMessage: (data: Buffer) => void;
  onError: (error: Error) => void;
}

/** Our end of one conversation with a datagram server such as wpa_supplicant. */
export interface ControlSocket {
  readonly localPath: string;
  send(data: Buffer): Promise<void>;
  /** Closes the socket and removes its file; idempotent. */
  close(): Promise<void>;
}

let socketCounter = 0;

/**
 * Binds a private socket in `localDir` for talking to the server at
 * `serverPath`. The server answers whoever sent the request (no connect is
 * needed), so each socket gets only the replies to its own requests.
 */
export async function openControlSocket(
  serverPath: string,
  options: ControlSocketOptions,
): Promise<ControlSocket> {
  assertSocketPath("socketPath", serverPath);
  assertSocketPath("localDir", options.localDir);
  try {
    await ensurePrivateDirectory(options.localDir);
  } catch (error) {
    throw new ControlSocketError("localDir", (error as Error).message, { cause: error });
  }
  // The server's address as it reports it may be the resolved path, not the spelling we were given.
  const serverNames = new Set([serverPath, await realpath(serverPath).catch(() => serverPath)]);
  socketCounter += 1;
  const localPath = join(options.localDir, `wpa_ctrl_${process.pid}-${socketCounter}`);
  const socket = await UnixDatagramSocket.bind(localPath, {
    onMessage: (data, from) => {
      if (serverNames.has(from)) options.onMessage(data);
    },
    onError: options.onError,
  });
  return {
    localPath,
    send: (data) => socket.sendTo(serverPath, data),
    close: () => socket.close(),
  };
}
