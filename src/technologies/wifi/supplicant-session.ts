import { rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { writeFileAtomic } from "../../linux/atomic-write.js";
import type { CommandRunner } from "../../linux/command-runner.js";
import { assertInterfaceName } from "../../linux/interface-name.js";
import { assertMayChangeNetwork } from "../../linux/network-namespace.js";
import { SupervisedProcess } from "../../linux/supervised-process.js";
import type { Logger } from "../../log.js";
import {
  bssId,
  parseBss,
  parseEvent,
  parseNetworkId,
  parseScanResults,
  parseSignalPoll,
  type SignalPoll,
} from "./control-protocol.js";
import {
  ADD_NETWORK,
  type ControlCommand,
  globalSettings,
  networkCommands,
  wifiWpaSupplicantConf,
} from "./network-commands.js";
import type { WifiDaemonSpec } from "./plan.js";
import { WpaCommandFailed, WpaControl, WpaUnreachableError } from "./wpa-control.js";
import type { AccessPoint, MacAddress, WpaEvent } from "./wpa-events.js";

/** A bound on one walk of the BSS table (wpa_supplicant keeps 200 entries by default). */
const MAX_BSS_ENTRIES = 1_000;

/**
 * One run of wpa_supplicant for one radio: the process, its control
 * connection, and the networks given to it over that connection (so no
 * passphrase is ever written to a file). Whether and when to start another
 * run is the WiFi machine's decision; this only reports how the run went.
 */

export interface SupplicantSessionOptions {
  spec: WifiDaemonSpec;
  runner: CommandRunner;
  /** wpa_supplicant's config file, its control socket and ours go under here (0700). */
  configDir: string;
  logger: Logger;
  pidFile?: string | undefined;
  /** Started, attached, every network configured. */
  onReady: () => void;
  onEvent: (event: WpaEvent) => void;
  /** The process ended by itself (not by stop). */
  onExited: (exit: { code: number | null; signal: string | null }) => void;
  /** It could not be started or configured; the process is being stopped. */
  onFailed: (reason: string) => void;
}

/** wpa_supplicant creates its socket a moment after it starts (longer under emulation). */
const CONTROL_POLL_MS = 50;

export function controlPaths(configDir: string, ifname: string) {
  assertInterfaceName(ifname);
  const controlDirectory = join(configDir, "wpa_ctrl");
  return {
    config: join(configDir, `wifi-${ifname}.conf`),
    controlDirectory,
    socket: join(controlDirectory, ifname),
    /** Our end of the datagram sockets. */
    clientDirectory: join(configDir, "wpa_ctrl_clients"),
  };
}

export class SupplicantSession {
  readonly #options: SupplicantSessionOptions;
  readonly #log: Logger;
  readonly #paths: ReturnType<typeof controlPaths>;
  #process: SupervisedProcess | undefined;
  #control: WpaControl | undefined;
  #stopping: Promise<void> | undefined;
  #exited = false;

  constructor(options: SupplicantSessionOptions) {
    const { ifname } = options.spec;
    // It transmits on the radio: tests must keep it inside a namespace.
    assertMayChangeNetwork(options.runner.netns, `wpa_supplicant -i ${ifname}`);
    this.#options = options;
    this.#log = options.logger.child({ component: "wpa_supplicant", ifname });
    this.#paths = controlPaths(options.configDir, ifname);
    void this.#start().catch((error: unknown) => this.#fail(error));
  }

  get #stopped(): boolean {
    return this.#stopping !== undefined;
  }

  async #start(): Promise<void> {
    const { spec } = this.#options;
    await writeFileAtomic(
      this.#paths.config,
      wifiWpaSupplicantConf({
        controlDirectory: this.#paths.controlDirectory,
        regulatoryDomain: spec.regulatoryDomain,
      }),
      0o600,
      0o700,
    );
    if (this.#stopped) return;
    this.#process = new SupervisedProcess({
      name: "wpa_supplicant",
      runner: this.#options.runner,
      logger: this.#log,
      pidFile: this.#options.pidFile,
      restartOnExit: false,
      start: () => ({
        file: "wpa_supplicant",
        // Foreground, so it stays our child; nl80211: every mac80211 radio.
        args: ["-D", "nl80211", "-i", spec.ifname, "-c", this.#paths.config],
        env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
      }),
      // Its own lines repeat what the control socket says; kept for debugging.
      onLine: (line) => this.#log.debug({ output: line }, "wpa_supplicant"),
      onExit: ({ code, signal }) => {
        this.#exited = true;
        if (!this.#stopped) this.#options.onExited({ code, signal });
      },
    });
    const control = await this.#connect();
    if (!control) return;
    await this.#configure(control);
    if (!this.#stopped) this.#options.onReady();
  }

  /** Waits for the control socket; undefined if the run ended first. */
  async #connect(): Promise<WpaControl | undefined> {
    for (;;) {
      if (this.#stopped || this.#exited) return undefined;
      try {
        const control = await WpaControl.open(this.#paths.socket, {
          localDir: this.#paths.clientDirectory,
          logger: this.#log,
          onEvent: ({ text }) => {
            if (!this.#stopped) this.#options.onEvent(parseEvent(text));
          },
        });
        if (this.#stopped) {
          await control.close();
          return undefined;
        }
        this.#control = control;
        return control;
      } catch (error) {
        if (!(error instanceof WpaUnreachableError)) throw error;
        await sleep(CONTROL_POLL_MS);
      }
    }
  }

  async #configure(control: WpaControl): Promise<void> {
    const { spec } = this.#options;
    const send = async ({ command }: ControlCommand) => control.requestOk(command);
    await send({ command: "REMOVE_NETWORK all", secret: false });
    for (const setting of globalSettings(spec.regulatoryDomain)) await send(setting);
    for (const network of spec.networks) {
      const reply = await control.request(ADD_NETWORK.command);
      const id = parseNetworkId(reply);
      if (id === undefined) throw new WpaCommandFailed("ADD_NETWORK", reply.trim());
      for (const command of networkCommands(id, network)) await send(command);
    }
  }

  #fail(error: unknown): void {
    if (this.#stopped) return;
    const reason = error instanceof Error ? error.message : String(error);
    this.#log.error({ err: error }, "wpa_supplicant could not be started or configured");
    this.#options.onFailed(reason);
  }

  /** Asks for a scan; a busy radio (a scan already running) is no failure. */
  async scan(): Promise<void> {
    const reply = await this.#request("SCAN");
    if (reply !== undefined && reply !== "OK" && reply !== "FAIL-BUSY") {
      this.#log.warn({ reply }, "scan refused");
    }
  }

  async accessPoints(): Promise<AccessPoint[]> {
    // Untrimmed: the last row's SSID may be empty (a hidden network) or end in a space.
    const reply = await this.#request("SCAN_RESULTS", { trim: false });
    return reply === undefined ? [] : parseScanResults(reply);
  }

  /**
   * The access point joined, as wpa_supplicant's BSS table has it: `bssid`
   * with the SSID joined. The table keeps an entry per BSSID and SSID, and
   * `BSS <bssid>` answers with any of them: another network's that the same
   * radio served before (with its flags and channel), or a hidden network's
   * nameless one. When its answer is not named `ssid`, the entries are walked
   * (BSS FIRST, NEXT-<id>) for the one that is, else a nameless one (given
   * that name); undefined while neither is there. Without an SSID (none
   * tried is known), whatever `BSS <bssid>` answers.
   */
  async accessPoint(bssid: MacAddress, ssid?: string): Promise<AccessPoint | undefined> {
    const reply = await this.#request(`BSS ${bssid}`);
    const answered = reply === undefined ? undefined : parseBss(reply);
    if (!ssid || answered?.ssid === ssid) return answered;
    return this.#entryNamed(bssid, ssid);
  }

  /** The BSS table's entry for `bssid` named `ssid`, else its nameless one, given that name. */
  async #entryNamed(bssid: MacAddress, ssid: string): Promise<AccessPoint | undefined> {
    let nameless: AccessPoint | undefined;
    let reply = await this.#request("BSS FIRST");
    for (let entries = 0; reply && entries < MAX_BSS_ENTRIES; entries += 1) {
      const entry = parseBss(reply);
      if (entry?.bssid === bssid && entry.ssid === ssid) return entry;
      if (entry?.bssid === bssid && entry.ssid === "") nameless ??= entry;
      const id = bssId(reply);
      if (id === undefined) break;
      reply = await this.#request(`BSS NEXT-${id}`);
    }
    return nameless && { ...nameless, ssid };
  }

  async signal(): Promise<SignalPoll | undefined> {
    const reply = await this.#request("SIGNAL_POLL");
    return reply === undefined ? undefined : parseSignalPoll(reply);
  }

  async ping(timeoutMs: number): Promise<boolean> {
    const control = this.#control;
    if (!control || control.closed) return false;
    return control.ping(timeoutMs);
  }

  /** A reply, or undefined when there is no connection (starting, stopped) or it failed. */
  async #request(command: string, { trim = true } = {}): Promise<string | undefined> {
    const control = this.#control;
    if (!control || control.closed) return undefined;
    try {
      const reply = await control.request(command);
      return trim ? reply.trim() : reply;
    } catch (error) {
      this.#log.debug({ err: error }, "request failed");
      return undefined;
    }
  }

  /** Closes the connection, stops the process, removes the config file. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    await this.#control?.close();
    await this.#process?.stop();
    await rm(this.#paths.config, { force: true });
  }
}
