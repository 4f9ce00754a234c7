/**
 * What a power manager implementation provides: how to switch one device's
 * power. Each call returns how long (ms) to stay in the state it leads to;
 * the watchdog machine (`machines/power-manager.ts`) decides when to call.
 */

export interface PowerCallContext {
  ifname: string;
  /** Aborted when the call is abandoned (it took longer than the call timeout). */
  signal: AbortSignal;
}

export interface PowerManagerImplementation {
  /** Once, before anything else; must not assume the device is off. */
  init?(context: PowerCallContext): Promise<void> | void;
  /** Powers the device on; resolves with the minimum time it stays on (its boot time). */
  powerOn(context: PowerCallContext): Promise<number> | number;
  /** Asks the device to shut down; resolves with the time until power may be cut. */
  startPoweringOff(context: PowerCallContext): Promise<number> | number;
  /** Cuts the power; resolves with the minimum time it stays off. */
  powerOff(context: PowerCallContext): Promise<number> | number;
  /** Messages the app sends with `sendPowerMessage(ifname, message)`. */
  handleMessage?(message: unknown): void;
}
