import { describe, expect, it, vi } from "vitest";
import { createActor, setup } from "xstate";
import type { DaemonsInput } from "../../machines/interface.js";
import { interfaceDaemons } from "../../src/linux/interface-daemons.js";
import { silentLogger } from "../../src/log.js";
import type {
  DaemonDependencies,
  DaemonStarter,
  RunningDaemon,
} from "../../src/technologies/daemon.js";
import { loadOnFirstStart } from "../../src/technologies/load-on-first-start.js";
import type { DaemonSpec } from "../../src/technologies/types.js";

const LAZY: DaemonSpec = { kind: "test_daemon", ifname: "eth0" };
const PLAIN: DaemonSpec = { kind: "plain", ifname: "eth0" };

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

function fakeDaemon(): RunningDaemon {
  return { stop: vi.fn(async () => undefined) };
}

/**
 * An interface's daemons actor over a lazy `test_daemon` starter and a plain
 * one; `started` lists the kinds in the order they started, `events` what the
 * actor sent its interface.
 */
function runDaemons(lazy: DaemonStarter, daemons: DaemonSpec[] = [LAZY, PLAIN]) {
  const started: string[] = [];
  const events: unknown[] = [];
  const plain: DaemonStarter = (spec) => {
    started.push(spec.kind);
    return fakeDaemon();
  };
  const recorded: DaemonStarter = Object.assign(
    (...args: Parameters<DaemonStarter>) => {
      const daemon = lazy(...args);
      started.push(args[0].kind);
      return daemon;
    },
    lazy.load ? { load: lazy.load } : {},
  );
  const actorLogic = interfaceDaemons(
    { logger: silentLogger(), trackStop: () => {} } as unknown as DaemonDependencies,
    new Map([
      [LAZY.kind, recorded],
      [PLAIN.kind, plain],
    ]),
  );
  const host = setup({ actors: { daemons: actorLogic } }).createMachine({
    invoke: { src: "daemons", input: { ifname: "eth0", daemons } as DaemonsInput },
    on: { "*": { actions: ({ event }) => events.push(event) } },
  });
  const actor = createActor(host);
  actor.start();
  return { started, events, actor };
}

describe("loadOnFirstStart", () => {
  it("loads its code once, and starts only once loaded", async () => {
    const { load, finish } = deferredLoad();
    const start = vi.fn(fakeDaemon);
    const starter = loadOnFirstStart(load);
    expect(() => starter(LAZY, {} as never)).toThrow("started before its code was loaded");
    const loading = [starter.load?.(), starter.load?.()];
    finish(start);
    await Promise.all(loading);
    starter(LAZY, {} as never);
    expect(start).toHaveBeenCalledTimes(1);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it("an interface starts no daemon before the lazy one's code is there: the plan's order holds", async () => {
    const { load, finish } = deferredLoad();
    const { started, events, actor } = runDaemons(loadOnFirstStart(load));
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([]);
    finish(fakeDaemon);
    await vi.waitFor(() => expect(started).toEqual(["test_daemon", "plain"]));
    expect(events).toEqual([]);
    actor.stop();
  });

  it("starts none when the interface left the state while the code loaded", async () => {
    const { load, finish } = deferredLoad();
    const { started, events, actor } = runDaemons(loadOnFirstStart(load));
    actor.stop();
    finish(fakeDaemon);
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([]);
    expect(events).toEqual([]);
  });

  it("reports a module that fails to load, or a starter that throws, as the interface's failure", async () => {
    const missing = deferredLoad();
    const failed = runDaemons(loadOnFirstStart(missing.load));
    missing.fail(new Error("cannot find module"));
    await vi.waitFor(() =>
      expect(failed.events).toEqual([
        { type: "daemon.failed", reason: "test_daemon: cannot find module" },
      ]),
    );
    expect(failed.started).toEqual([]);
    failed.actor.stop();

    const throwing = deferredLoad();
    const thrown = runDaemons(loadOnFirstStart(throwing.load));
    throwing.finish(() => {
      throw new Error("bad option");
    });
    await vi.waitFor(() =>
      expect(thrown.events).toEqual([{ type: "daemon.failed", reason: "test_daemon: bad option" }]),
    );
    // The plan stops at the daemon that could not start.
    expect(thrown.started).toEqual([]);
    thrown.actor.stop();
  });
});
