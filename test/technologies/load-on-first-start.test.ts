import { describe, expect, it, vi } from "vitest";
import type { InterfaceEvent } from "../../machines/interface.js";
import type {
  DaemonContext,
  DaemonDependencies,
  DaemonStarter,
  RunningDaemon,
} from "../../src/technologies/daemon.js";
import { loadOnFirstStart } from "../../src/technologies/load-on-first-start.js";
import type { DaemonSpec } from "../../src/technologies/types.js";

const SPEC: DaemonSpec = { kind: "test_daemon", ifname: "eth0" };

function context(): DaemonContext & { events: InterfaceEvent[]; stop(): void } {
  let stopped = false;
  const events: InterfaceEvent[] = [];
  return {
    events,
    dependencies: {} as DaemonDependencies,
    sendBack: (event) => events.push(event),
    isStopped: () => stopped,
    renewOthers: () => undefined,
    stop: () => {
      stopped = true;
    },
  };
}

/** A module load the test finishes when it wants. */
function deferredLoad() {
  let finish: (starter: DaemonStarter) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const load = vi.fn(
    () =>
      new Promise<DaemonStarter>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      }),
  );
  return { load, finish: (starter: DaemonStarter) => finish(starter), fail: (e: Error) => fail(e) };
}

function fakeDaemon() {
  const stop = vi.fn(async () => undefined);
  const renew = vi.fn(() => undefined);
  return { stop, renew } satisfies RunningDaemon;
}

describe("loadOnFirstStart", () => {
  it("loads once, starts the first daemon once loaded and later ones at once", async () => {
    const { load, finish } = deferredLoad();
    const daemons: RunningDaemon[] = [];
    const start = vi.fn(() => {
      const daemon = fakeDaemon();
      daemons.push(daemon);
      return daemon;
    });
    const starter = loadOnFirstStart(load);
    const first = starter(SPEC, context());
    const second = starter({ ...SPEC, ifname: "eth1" }, context());
    expect(start).not.toHaveBeenCalled();
    finish(start);
    await vi.waitFor(() => expect(start).toHaveBeenCalledTimes(2));
    const third = starter({ ...SPEC, ifname: "eth2" }, context());
    // Loaded: the starter's own daemon, started before the call returns.
    expect(third).toBe(daemons[2]);
    expect(load).toHaveBeenCalledTimes(1);
    await first.stop();
    await second.stop();
    expect(daemons[0]?.stop).toHaveBeenCalledTimes(1);
    expect(daemons[1]?.stop).toHaveBeenCalledTimes(1);
  });

  it("never starts a daemon stopped while its module loads", async () => {
    const { load, finish } = deferredLoad();
    const start = vi.fn(fakeDaemon);
    const running = loadOnFirstStart(load)(SPEC, context());
    const stopping = running.stop();
    finish(start);
    await stopping;
    expect(start).not.toHaveBeenCalled();
  });

  it("never starts a daemon whose interface left the state while its module loaded", async () => {
    const { load, finish } = deferredLoad();
    const start = vi.fn(fakeDaemon);
    const daemonContext = context();
    const running = loadOnFirstStart(load)(SPEC, daemonContext);
    daemonContext.stop();
    finish(start);
    await running.stop();
    expect(start).not.toHaveBeenCalled();
  });

  it("passes on a renewal asked for while loading", async () => {
    const { load, finish } = deferredLoad();
    const daemon = fakeDaemon();
    const running = loadOnFirstStart(load)(SPEC, context());
    running.renew?.();
    finish(() => daemon);
    await vi.waitFor(() => expect(daemon.renew).toHaveBeenCalledTimes(1));
    running.renew?.();
    expect(daemon.renew).toHaveBeenCalledTimes(2);
  });

  it("reports a starter that throws, or a module that fails to load, as the daemon's failure", async () => {
    const throwing = deferredLoad();
    const throwingContext = context();
    loadOnFirstStart(throwing.load)(SPEC, throwingContext);
    throwing.finish(() => {
      throw new Error("bad option");
    });
    await vi.waitFor(() =>
      expect(throwingContext.events).toEqual([
        { type: "daemon.failed", reason: "test_daemon: bad option" },
      ]),
    );

    const missing = deferredLoad();
    const missingContext = context();
    const running = loadOnFirstStart(missing.load)(SPEC, missingContext);
    missing.fail(new Error("cannot find module"));
    await vi.waitFor(() =>
      expect(missingContext.events).toEqual([
        { type: "daemon.failed", reason: "test_daemon: cannot find module" },
      ]),
    );
    await expect(running.stop()).resolves.toBeUndefined();
  });
});
