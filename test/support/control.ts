import type { ReloadResult } from "../../src/config/reload.js";
import type { ControlledManager } from "../../src/control/handler.js";
import type { ControlSession } from "../../src/control/server.js";

/** The reload of a control handler under test that is never asked to reload. */
export const noReload = (): Promise<ReloadResult> => Promise.reject(new Error("no reload here"));

/**
 * A client's session (not root, on the private socket, unless `overrides`
 * say otherwise); `pushed` collects what the handler streams to it and
 * `closers` what it leaves to run when the client goes.
 */
export function testSession(overrides: Partial<ControlSession> = {}) {
  const pushed: object[] = [];
  const closers: Array<() => void> = [];
  const session: ControlSession = {
    push: (message) => pushed.push(message),
    onClose: (cleanup) => closers.push(cleanup),
    callerIsRoot: false,
    readOnly: false,
    ...overrides,
  };
  return { session, pushed, closers };
}

/** A manager for a handler test: `answers`, and a throw for anything else asked. */
export function managerAnswering(answers: Partial<ControlledManager>): ControlledManager {
  const unused = () => {
    throw new Error("not asked in these tests");
  };
  return {
    info: unused,
    get: unused,
    getWithTimestamp: unused,
    getByPrefix: unused,
    getConfiguration: unused,
    subscribe: unused,
    configure: unused,
    deconfigure: unused,
    resetToDefaults: unused,
    forceReset: unused,
    scan: unused,
    ...answers,
  };
}
