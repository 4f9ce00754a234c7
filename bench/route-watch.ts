import { execa, type ResultPromise } from "execa";
import type { Lab } from "../lab/namespace-lab.js";

/**
 * Times route changes in a lab's device namespace from outside the daemon,
 * as `ip route get` sees them, without polling: `ip monitor` says when a
 * route or rule changed, and only then is the route looked up again. Polling
 * `ip route get` every 20 ms spawned 50 processes a second per lab, which
 * loaded the machine enough to disturb labs running side by side.
 */
export class RouteWatch {
  #lastEventAt = Number.NEGATIVE_INFINITY;
  #wake: (() => void) | undefined;
  #ended: Error | undefined;
  /** Why the last lookup found no route, for the timeout's message. */
  #lookupError: unknown;

  private constructor(
    readonly lab: Lab,
    private readonly monitor: ResultPromise,
  ) {
    monitor.stdout?.on("data", () => {
      this.#lastEventAt = performance.now();
      this.#wake?.();
    });
    void monitor.then(() => {
      this.#ended = new Error(`ip monitor in ${lab.deviceNs} ended`);
      this.#wake?.();
    });
  }

  /** Starts watching; resolves once `ip monitor` is listening. */
  static async start(lab: Lab): Promise<RouteWatch> {
    const monitor = execa("ip", ["-n", lab.deviceNs, "monitor", "route", "rule"], {
      reject: false,
      buffer: false,
    });
    await new Promise<void>((resolve, reject) => {
      monitor.once("spawn", () => resolve());
      monitor.once("error", reject);
    });
    return new RouteWatch(lab, monitor);
  }

  async #routeDev(destination: string): Promise<string | undefined> {
    try {
      this.#lookupError = undefined;
      return (await this.lab.routeGet(destination)).dev;
    } catch (error) {
      // No route at all, in the middle of a change: a lookup that says so, not a failure.
      this.#lookupError = error;
      return undefined;
    }
  }

  /**
   * Milliseconds from `since` until the route to `destination` leaves through
   * `ifname`: the moment of the change that made it so (within the time one
   * lookup takes), or now if it already does.
   */
  async until(destination: string, ifname: string, since: number, timeoutMs: number) {
    const deadline = since + timeoutMs;
    for (let first = true; ; first = false) {
      // A change after this moment wakes the loop again; one before it shows in this lookup.
      const event = this.#lastEventAt;
      const lookedAt = performance.now();
      if ((await this.#routeDev(destination)) === ifname) {
        return (first && event < since ? lookedAt : Math.max(event, since)) - since;
      }
      if (this.#ended) throw this.#ended;
      if (this.#lastEventAt !== event) continue;
      const left = deadline - performance.now();
      if (left <= 0) {
        const why = this.#lookupError ? ` (last lookup: ${String(this.#lookupError)})` : "";
        throw new Error(`route to ${destination} not on ${ifname} after ${timeoutMs} ms${why}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  async stop(): Promise<void> {
    this.monitor.kill("SIGTERM");
    await this.monitor;
  }
}
