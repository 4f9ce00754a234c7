import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Ieee8021xConfig } from "../config/schema.js";
import { writeFileAtomic } from "../linux/atomic-write.js";
import type { CommandRunner } from "../linux/command-runner.js";
import { assertInterfaceName } from "../linux/interface-name.js";
import { assertMayChangeNetwork } from "../linux/network-namespace.js";
import { SupervisedProcess } from "../linux/supervised-process.js";
import type { Logger } from "../log.js";
import { type EapState, parseSupplicantLine } from "./supplicant-events.js";
import { wiredWpaSupplicantConf } from "./wpa-supplicant-conf.js";

/**
 * Keeps wpa_supplicant authenticating one wired port (802.1X): writes its
 * config file (mode 0600, it holds the password), supervises the process and
 * reports the port's state as wpa_supplicant announces it.
 */

export interface WiredSupplicantOptions {
  ifname: string;
  network: Ieee8021xConfig;
  runner: CommandRunner;
  /** Where the config file goes (created with mode 0700); it is removed on stop. */
  configDir: string;
  logger: Logger;
  /** Each change of the port's state; "starting" again whenever wpa_supplicant (re)starts. */
  onState: (state: EapState) => void;
  /** wpa_supplicant could not be started (its config file not written): the interface cannot authenticate. */
  onError: (error: Error) => void;
  /** A record of the running wpa_supplicant's pid (see SupervisedProcess). */
  pidFile?: string | undefined;
}

export interface WiredSupplicant {
  /** Stops wpa_supplicant and removes its config file. */
  stop(): Promise<void>;
  /**
   * The carrier went (the switch closes the port) or came back. wpa_supplicant
   * on a wire does not notice either, and a switch need not start the exchange
   * itself: on carrier back it is started over, so the port opens in seconds.
   */
  carrierChanged(lowerUp: boolean): void;
}

function wpaSupplicantArguments(ifname: string, configPath: string): string[] {
  assertInterfaceName(ifname);
  // Foreground, so it stays our child; -Dwired: EAPOL on an Ethernet port, no radio.
  return ["-D", "wired", "-i", ifname, "-c", configPath];
}

export function startWiredSupplicant(options: WiredSupplicantOptions): WiredSupplicant {
  const configPath = join(options.configDir, `${options.ifname}.conf`);
  const args = wpaSupplicantArguments(options.ifname, configPath);
  // It sends EAPOL frames on the interface: tests must keep it inside a namespace.
  assertMayChangeNetwork(options.runner.netns, `wpa_supplicant -i ${options.ifname}`);
  return new Supplicant(options, configPath, args);
}

class Supplicant implements WiredSupplicant {
  readonly #options: WiredSupplicantOptions;
  readonly #configPath: string;
  readonly #log: Logger;
  readonly #started: Promise<SupervisedProcess | undefined>;
  #stopping: Promise<void> | undefined;
  #state: EapState = "starting";
  #process: SupervisedProcess | undefined;

  constructor(options: WiredSupplicantOptions, configPath: string, args: string[]) {
    this.#options = options;
    this.#configPath = configPath;
    this.#log = options.logger.child({ component: "wpa_supplicant", ifname: options.ifname });
    this.#started = this.#start(args);
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  carrierChanged(lowerUp: boolean): void {
    if (!this.#process || this.#stopping) return;
    if (!lowerUp) {
      this.#setState("starting", "carrier lost");
      return;
    }
    this.#setState("starting", "carrier back: authenticating again");
    this.#process.restart();
  }

  async #stop(): Promise<void> {
    const supervised = await this.#started;
    await supervised?.stop();
    await rm(this.#configPath, { force: true });
  }

  async #start(args: string[]): Promise<SupervisedProcess | undefined> {
    try {
      await writeFileAtomic(
        this.#configPath,
        wiredWpaSupplicantConf(this.#options.network),
        0o600,
        0o700,
      );
      if (this.#stopping) return undefined;
      this.#setState("starting", "started");
      this.#process = new SupervisedProcess({
        name: "wpa_supplicant",
        runner: this.#options.runner,
        logger: this.#log,
        pidFile: this.#options.pidFile,
        start: () => ({
          file: "wpa_supplicant",
          args,
          env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
        }),
        onLine: (line) => this.#onLine(line),
        // A new process authenticates from the start.
        onExit: () => this.#setState("starting", "wpa_supplicant exited"),
      });
      return this.#process;
    } catch (error) {
      this.#log.error({ err: error }, "could not start wpa_supplicant");
      this.#options.onError(error as Error);
      return undefined;
    }
  }

  #onLine(line: string): void {
    const event = parseSupplicantLine(this.#options.ifname, line);
    if (!event) {
      // Few lines at its default level, and they say why (a CA file that does not load).
      this.#log.info({ output: line }, "wpa_supplicant");
      return;
    }
    this.#setState(event.state, event.detail);
  }

  #setState(state: EapState, detail: string): void {
    // CONNECTED follows EAP-SUCCESS: one change.
    if (state === this.#state && state !== "starting") return;
    if (state === "failed") this.#log.warn({ detail }, "802.1X authentication failed");
    else this.#log.info({ state, detail }, "802.1X");
    this.#state = state;
    this.#options.onState(state);
  }
}
