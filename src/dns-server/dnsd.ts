import { rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { writeFileAtomic } from "../linux/atomic-write.js";
import type { CommandRunner } from "../linux/command-runner.js";
import { assertInterfaceName } from "../linux/interface-name.js";
import { assertMayChangeNetwork } from "../linux/network-namespace.js";
import { SupervisedProcess } from "../linux/supervised-process.js";
import type { Logger } from "../log.js";
import { type DnsdFile, dnsdFileSchema } from "./dnsd-file.js";
import type { DnsAddressRecord } from "./responder.js";

/**
 * Keeps the DNS server of one interface running for a manager that drives a
 * network namespace from outside (`netns`, as tests and labs do): the Node
 * program dnsd-main.js inside that namespace, where the manager's own
 * process cannot open a socket, as a SupervisedProcess restarted with
 * backoff when it dies (its address not there yet, say). A manager in the
 * device's own namespace serves in-process instead (in-process-dnsd.ts).
 * busybox has a `dnsd`, but not every build does (Debian's does not):
 * statenet brings its own.
 */

/** The daemon as a plan names it: answer `records` on the interface's own address. */
export interface DnsdDaemonSpec {
  kind: "dnsd";
  ifname: string;
  address: string;
  port: number;
  ttlSeconds: number;
  records: DnsAddressRecord[];
}

export class DnsdConfigError extends TypeError {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`dnsd ${field}: ${reason}`);
    this.name = "DnsdConfigError";
  }
}

export interface DnsdOptions extends Omit<DnsdDaemonSpec, "kind"> {
  runner: CommandRunner;
  /** Where its config file goes (created 0700 if missing). */
  configDir: string;
  logger: Logger;
  /** The config file could not be written: the server does not run. */
  onError?: ((error: Error) => void) | undefined;
  /** A record of the running server's pid (see SupervisedProcess). */
  pidFile?: string | undefined;
  restartDelayMs?: number | undefined;
}

export interface Dnsd {
  stop(): Promise<void>;
  readonly pid: number | undefined;
  readonly restarts: number;
}

export function dnsdConfigPath(configDir: string, ifname: string): string {
  assertInterfaceName(ifname);
  return join(configDir, `dnsd-${ifname}.json`);
}

/**
 * How to run dnsd-main: the compiled program beside this file, or under
 * tsx when statenet runs from its TypeScript sources (tests, demos).
 */
export function dnsdProgram(): string[] {
  if (!import.meta.url.endsWith(".ts")) {
    return [fileURLToPath(new URL("./dnsd-main.js", import.meta.url))];
  }
  const tsx = createRequire(import.meta.url).resolve("tsx");
  return [
    "--import",
    pathToFileURL(tsx).href,
    fileURLToPath(new URL("./dnsd-main.ts", import.meta.url)),
  ];
}

/**
 * What the server is to do, checked as the program checks its file; throws
 * DnsdConfigError naming the field. It answers on the interface: tests must
 * keep it inside a namespace.
 */
export function checkedDnsdFile(
  spec: Omit<DnsdDaemonSpec, "kind">,
  netns: string | undefined,
): DnsdFile {
  const { address, port, ttlSeconds, records } = spec;
  const parsed = dnsdFileSchema.safeParse({ address, port, ttlSeconds, records });
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw new DnsdConfigError(issue?.path.join(".") ?? "", issue?.message ?? "invalid");
  }
  assertMayChangeNetwork(netns, `dnsd on ${spec.ifname}`);
  return parsed.data;
}

/** Starts serving; throws DnsdConfigError (naming the field) for a spec the program would refuse. */
export function startDnsd(options: DnsdOptions): Dnsd {
  const file = checkedDnsdFile(options, options.runner.netns);
  const path = dnsdConfigPath(options.configDir, options.ifname);
  return new DnsdSupervisor(options, path, `${JSON.stringify(file, null, 2)}\n`);
}

class DnsdSupervisor implements Dnsd {
  readonly #options: DnsdOptions;
  readonly #path: string;
  readonly #log: Logger;
  readonly #started: Promise<void>;
  #process: SupervisedProcess | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: DnsdOptions, path: string, content: string) {
    this.#options = options;
    this.#path = path;
    this.#log = options.logger.child({ component: "dnsd", ifname: options.ifname });
    this.#started = this.#start(content);
  }

  get pid(): number | undefined {
    return this.#process?.pid;
  }

  get restarts(): number {
    return this.#process?.restarts ?? 0;
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    await this.#started;
    await this.#process?.stop();
    await rm(this.#path, { force: true });
  }

  async #start(content: string): Promise<void> {
    try {
      await writeFileAtomic(this.#path, content, 0o644, 0o700);
      if (this.#stopping) return;
      const args = [...dnsdProgram(), this.#path];
      this.#process = new SupervisedProcess({
        name: "dnsd",
        runner: this.#options.runner,
        logger: this.#log,
        restartDelayMs: this.#options.restartDelayMs,
        pidFile: this.#options.pidFile,
        start: () => ({
          file: process.execPath,
          args,
          env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
        }),
        onLine: (line) => {
          if (line.startsWith("dnsd: listening ")) this.#log.info({ output: line }, "dnsd");
          else this.#log.warn({ output: line }, "dnsd");
        },
      });
    } catch (error) {
      this.#log.error({ err: error }, "could not start dnsd");
      this.#options.onError?.(error as Error);
    }
  }
}
