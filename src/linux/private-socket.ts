import { constants } from "node:fs";
import { chmod, lstat, mkdir, open, rm } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
import type { Logger } from "../log.js";

/**
 * UNIX stream sockets only the manager's user may use: the socket (0600)
 * lives in a directory of mode 0700 owned by that user, and nothing is
 * accepted before the socket file has its mode. For the DHCP handler's
 * reports and the CLI's control connection.
 */

/** sockaddr_un.sun_path holds 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

export class PrivateDirectoryError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`refusing to use ${path} as a private directory: ${reason}`);
    this.name = "PrivateDirectoryError";
  }
}

export class SocketServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SocketServerError";
  }
}

/**
 * Makes `dir` a directory only the current user can enter. Opened with
 * O_NOFOLLOW so a symbolic link planted at the path is refused rather than
 * followed, and the mode is fixed through that same descriptor.
 */
export async function ensurePrivateDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    // Something other than a directory is there: the open below says what.
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP") throw new PrivateDirectoryError(dir, "it is a symbolic link");
    if (code === "ENOTDIR") throw new PrivateDirectoryError(dir, "it is not a directory");
    throw error;
  }
  try {
    const stats = await handle.stat();
    const uid = process.getuid?.();
    if (uid !== undefined && stats.uid !== uid) {
      throw new PrivateDirectoryError(dir, `it is owned by uid ${stats.uid}, not ${uid}`);
    }
    if ((stats.mode & 0o777) !== 0o700) await handle.chmod(0o700);
  } finally {
    await handle.close();
  }
}

export interface PrivateSocketOptions {
  /** Private directory for the socket; created with mode 0700 (an existing one gets that mode). */
  dir: string;
  name: string;
  logger: Logger;
  /** Connections open at once; more are refused by the kernel's backlog, not served. */
  maxConnections: number;
  onConnection: (socket: net.Socket) => void;
}

export interface PrivateSocket {
  readonly path: string;
  /** Stops listening, drops open connections and removes the socket file. */
  close(): Promise<void>;
}

export async function listenPrivateSocket(options: PrivateSocketOptions): Promise<PrivateSocket> {
  await ensurePrivateDirectory(options.dir);
  const path = join(options.dir, options.name);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new SocketServerError(
      `socket path ${path} is longer than ${MAX_SOCKET_PATH_BYTES} bytes`,
    );
  }
  await removeStaleSocket(path);
  const connections = new Set<net.Socket>();
  // Until the socket file is 0600, a connection could come from anyone who can reach it.
  let accepting = false;
  let closing: Promise<void> | undefined;
  const server = net.createServer((socket) => {
    if (!accepting) {
      socket.destroy();
      return;
    }
    connections.add(socket);
    socket.once("close", () => connections.delete(socket));
    options.onConnection(socket);
  });
  server.maxConnections = options.maxConnections;
  server.on("error", (error) => options.logger.error({ err: error, path }, "socket failed"));
  await listen(server, path);
  await chmod(path, 0o600);
  accepting = true;
  return {
    path,
    close() {
      closing ??= (async () => {
        accepting = false;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of connections) socket.destroy();
        await closed;
        await rm(path, { force: true });
      })();
      return closing;
    },
  };
}

/** A socket file left by a manager that died; one that still answers belongs to a live one. */
async function removeStaleSocket(path: string): Promise<void> {
  try {
    const stats = await lstat(path);
    if (!stats.isSocket()) throw new SocketServerError(`${path} exists and is not a socket`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if (await answers(path)) throw new SocketServerError(`another process is listening on ${path}`);
  await rm(path, { force: true });
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createConnection(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
}

function listen(server: net.Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
