import { randomBytes } from "node:crypto";
import { execa } from "execa";
import { type AccessPoint, type AccessPointOptions, startAccessPoint } from "./access-point.js";
import { insideVmLab } from "./in-vm.js";
import { loadRadios, moveRadio, type Radio, unloadRadios } from "./radios.js";

/**
 * WiFi radios and the namespaces they live in, for a test inside the VM lab:
 * loads hwsim with fresh radios, makes namespaces (`sn-vm-<random>-<purpose>`)
 * to move them into, runs access points there, and takes it all down again:
 * every process in its namespaces is killed, the namespaces deleted (their
 * radios fall back to the VM's own namespace) and hwsim unloaded.
 */
export class RadioLab {
  readonly radios: readonly Radio[];
  readonly #prefix = `sn-vm-${randomBytes(3).toString("hex")}`;
  readonly #namespaces: string[] = [];
  readonly #accessPoints = new Set<AccessPoint>();

  private constructor(radios: Radio[]) {
    this.radios = radios;
  }

  /** Refuses outside the VM lab: on a host this would load modules and move its radios. */
  static async create(options: { radios: number }): Promise<RadioLab> {
    if (!insideVmLab()) throw new Error("RadioLab runs inside the VM lab only");
    return new RadioLab(await loadRadios(options.radios));
  }

  radio(index: number): Radio {
    const radio = this.radios[index];
    if (!radio) throw new RangeError(`radio ${index}: the lab has ${this.radios.length} radios`);
    return radio;
  }

  /** A new namespace with its loopback up. */
  async namespace(purpose: string): Promise<string> {
    if (!/^[a-z0-9-]{1,16}$/.test(purpose)) {
      throw new RangeError(
        `namespace purpose: 1 to 16 of a-z 0-9 -, not ${JSON.stringify(purpose)}`,
      );
    }
    const ns = `${this.#prefix}-${purpose}`;
    await execa("ip", ["netns", "add", ns]);
    this.#namespaces.push(ns);
    await execa("ip", ["-n", ns, "link", "set", "lo", "up"]);
    return ns;
  }

  moveRadio(radio: Radio, ns: string): Promise<void> {
    return moveRadio(radio, ns);
  }

  /** Runs a command inside one of the lab's namespaces. */
  exec(ns: string, file: string, args: readonly string[] = []) {
    return execa("ip", ["netns", "exec", ns, file, ...args], { env: { LC_ALL: "C" } });
  }

  async startAccessPoint(options: AccessPointOptions): Promise<AccessPoint> {
    const accessPoint = await startAccessPoint(options);
    this.#accessPoints.add(accessPoint);
    const stop = accessPoint.stop;
    return {
      ...accessPoint,
      stop: async () => {
        this.#accessPoints.delete(accessPoint);
        await stop();
      },
    };
  }

  async teardown(): Promise<void> {
    await Promise.all([...this.#accessPoints].map((accessPoint) => accessPoint.stop()));
    this.#accessPoints.clear();
    for (const ns of this.#namespaces.splice(0)) {
      const { stdout } = await execa("ip", ["netns", "pids", ns], { reject: false });
      for (const pid of String(stdout).split(/\s+/).filter(Boolean).map(Number)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // Gone already.
        }
      }
      await execa("ip", ["netns", "del", ns], { reject: false });
    }
    await unloadRadios();
  }
}

/**
 * WiFi timings for statenet under emulation (TCG): wpa_supplicant answers a
 * PING late and starts slowly there, which is no hang. Put in a config's `wifi.timings`.
 */
export const EMULATED_WIFI_TIMINGS = { pingTimeoutMs: 10_000, startTimeoutMs: 60_000 } as const;
