import { describe, expect, it } from "vitest";
import { createActor, SimulatedClock } from "xstate";
import {
  type RouteManagerContext,
  type RouteStatus,
  retryDelayOf,
  routeManagerMachine,
} from "../../machines/route-manager.js";
import { IpBatchError } from "../../src/linux/ip.js";
import { interfacesByPriority } from "../../src/route/calculator.js";
import { changeCommand, entryId } from "../../src/route/ip-commands.js";
import type { DefaultRouteEntry, KernelRoutes, RouteChange } from "../../src/route/types.js";
import { controlledPromise, settle } from "../model/controlled-promise.js";
import { CoverageRecorder } from "../model/coverage.js";
import { edgeCoveringPaths } from "../model/paths.js";
import { describeEveryEdge } from "../model/walk.js";
import { FakeKernel } from "../support/fake-kernel.js";

const RETRY_DELAY_MS = 5_000;
const ETH0 = { address: "192.0.2.10", prefixLength: 24 };
/** A default route left behind by someone else on eth0: once eth0 is managed, it must go. */
const STALE: DefaultRouteEntry = {
  kind: "default_route",
  ifname: "eth0",
  gateway: "192.0.2.254",
  metric: 5,
  table: "main",
};
/** Someone else's default route on an interface statenet does not manage: it must stay. */
const OTHERS: DefaultRouteEntry = {
  kind: "default_route",
  ifname: "eth9",
  gateway: "198.51.100.1",
  metric: 3,
  table: "main",
};

const EMPTY_KERNEL = {
  type: "xstate.done.actor.readKernel",
  output: { owned: [], foreign: [] },
} as const;

const environmentEvents = [
  { type: "route.set_addresses", ifname: "eth0", addresses: [ETH0], gateway: "192.0.2.1" },
  { type: "route.set_connection", ifname: "eth0", status: "internet", reason: "model" },
  { type: "route.set_connection", ifname: "eth0", status: "lan", reason: "model" },
  { type: "route.clear_addresses", ifname: "eth0" },
  { type: "route.remove_interface", ifname: "eth0" },
  { type: "route.refresh_metrics" },
  // Someone else's default route came or went: read the kernel again.
  { type: "kernel.routes_changed" },
  // A report that must never reach the kernel.
  { type: "route.set_addresses", ifname: "eth0 flush", addresses: [ETH0], gateway: "192.0.2.1" },
] as const;

const platformEvents: Record<string, readonly object[]> = {
  syncing: [
    EMPTY_KERNEL,
    { type: "xstate.done.actor.readKernel", output: { owned: [], foreign: [STALE, OTHERS] } },
    { type: "xstate.error.actor.readKernel", error: new Error("cannot open netlink socket") },
  ],
  applying: [
    { type: "xstate.done.actor.applyChanges", output: undefined },
    {
      type: "xstate.error.actor.applyChanges",
      error: new IpBatchError([{ line: 1, command: "route add", message: "File exists" }]),
    },
  ],
  backingOff: [{ type: "xstate.after.retryDelay.routeManager.backingOff" }],
};

type AnyEvent = { type: string; [key: string]: unknown };

function serialize(snapshot: { value: unknown; context: RouteManagerContext }): string {
  const { interfaces, applied, lastError, stale } = snapshot.context;
  return JSON.stringify([
    snapshot.value,
    interfaces,
    applied.map(entryId).sort(),
    lastError !== undefined,
    stale,
  ]);
}

const paths = edgeCoveringPaths(routeManagerMachine, {
  input: { retryDelayMs: RETRY_DELAY_MS },
  events: (snapshot) => {
    const { value } = snapshot as unknown as { value: string };
    return [...environmentEvents, ...(platformEvents[value] ?? [])] as AnyEvent[];
  },
  serializeState: (snapshot) => serialize(snapshot as never),
});

function hasMainDefault(kernel: FakeKernel): boolean {
  return kernel.list().some((entry) => entry.kind === "default_route" && entry.table === "main");
}

/** Applies a plan line by line, checking there is never a moment without a default route when both ends have one. */
function applyMakeBeforeBreak(kernel: FakeKernel, changes: readonly RouteChange[]): number[] {
  const before = hasMainDefault(kernel);
  const gaps: number[] = [];
  const failed: number[] = [];
  const lines = changes.map((change, index) => {
    failed.push(...kernel.apply([change]).map(() => index + 1));
    return hasMainDefault(kernel);
  });
  if (before && hasMainDefault(kernel)) {
    lines.forEach((present, index) => {
      if (!present) gaps.push(index + 1);
    });
  }
  expect(gaps, `lines without a default route in ${changes.map(changeCommand).join("; ")}`).toEqual(
    [],
  );
  return failed;
}

function startLiveActor(recorder: CoverageRecorder) {
  const kernel = new FakeKernel();
  const readKernel = controlledPromise<KernelRoutes>();
  const applyChanges = controlledPromise<void, { changes: RouteChange[] }>();
  const published: RouteStatus[] = [];
  const clock = new SimulatedClock();
  const machine = routeManagerMachine.provide({
    actors: { readKernel: readKernel.logic, applyChanges: applyChanges.logic },
    actions: { publish: (_, status) => published.push(status) },
  });
  const actor = createActor(machine, {
    input: { retryDelayMs: RETRY_DELAY_MS },
    clock,
    inspect: recorder.inspect,
  });
  actor.start();

  async function perform(event: AnyEvent): Promise<void> {
    switch (event.type) {
      case "xstate.done.actor.readKernel": {
        // The graph says what the kernel holds at this point; make it so.
        const { owned, foreign } = event.output as KernelRoutes;
        kernel.entries.clear();
        kernel.apply([...owned, ...foreign].map((entry) => ({ op: "add", entry })));
        readKernel.current().resolve({ owned, foreign });
        break;
      }
      case "xstate.error.actor.readKernel":
        readKernel.current().reject(event.error);
        break;
      case "xstate.done.actor.applyChanges": {
        const call = applyChanges.current();
        expect(applyMakeBeforeBreak(kernel, call.input.changes)).toEqual([]);
        call.resolve();
        break;
      }
      case "xstate.error.actor.applyChanges": {
        // Half the batch got in before the failure, as with `ip -force -batch`.
        const call = applyChanges.current();
        kernel.apply(call.input.changes.slice(0, Math.ceil(call.input.changes.length / 2)));
        call.reject(event.error);
        break;
      }
      case "xstate.after.retryDelay.routeManager.backingOff":
        clock.increment(retryDelayOf(actor.getSnapshot().context));
        break;
      default:
        actor.send(event as never);
    }
    await settle();
  }

  return { actor, kernel, published, applyChanges, perform, stop: () => actor.stop() };
}

describeEveryEdge("route manager machine, every path of its graph on a live actor", {
  machine: routeManagerMachine,
  paths,
  minimumPaths: 20,
  start: (recorder) => startLiveActor(recorder),
  check: (live, step) => {
    const snapshot = live.actor.getSnapshot();
    expect(snapshot.status).toBe("active");
    expect(snapshot.value).toEqual(step.state.value);
    const { context } = snapshot;
    if (snapshot.matches("idle")) {
      const foreignIds = context.foreign.map(entryId);
      // Converged: the kernel holds exactly what the calculator asks for, and
      // others' default routes on interfaces statenet does not manage…
      expect(live.kernel.ids()).toEqual(
        [...context.desired, ...context.foreign].map(entryId).sort(),
      );
      expect(context.foreign.every((entry) => !(entry.ifname in context.interfaces))).toBe(true);
      // …and the published route order is the one in the kernel.
      expect(live.published.at(-1)?.availableInterfaces).toEqual(
        interfacesByPriority(
          live.kernel.list().filter((entry) => !foreignIds.includes(entryId(entry))),
        ),
      );
    }
    if (snapshot.matches("applying")) {
      const { changes } = live.applyChanges.current().input;
      const firstDeletion = changes.findIndex((change) => change.op === "del");
      const lastAddition = changes.findLastIndex((change) => change.op !== "del");
      if (firstDeletion >= 0) expect(lastAddition).toBeLessThan(firstDeletion);
    }
    if (snapshot.matches("backingOff")) expect(context.lastError?.message).toBeTruthy();
  },
});

describe("route manager machine, behaviours", () => {
  it("applies a change that arrives while a batch runs right after it", async () => {
    const recorder = new CoverageRecorder();
    const live = startLiveActor(recorder);
    await live.perform(EMPTY_KERNEL);
    await live.perform(environmentEvents[0]);
    await live.perform(environmentEvents[1]);
    const first = live.applyChanges.current();
    live.actor.send({ type: "route.set_connection", ifname: "eth0", status: "lan", reason: "x" });
    await live.perform({ type: "xstate.done.actor.applyChanges" });
    expect(live.actor.getSnapshot().value).toBe("applying");
    const second = live.applyChanges.current();
    expect(second).not.toBe(first);
    expect(second.input.changes.map(changeCommand)).toEqual([
      "route add 192.0.2.0/24 dev eth0 src 192.0.2.10 scope link metric 50 table main proto 222",
      "route add default via 192.0.2.1 dev eth0 metric 50 table main proto 222",
      "route del default via 192.0.2.1 dev eth0 metric 10 table main",
      "route del 192.0.2.0/24 dev eth0 src 192.0.2.10 scope link metric 10 table main",
    ]);
    live.actor.stop();
  });

  it("keeps its failure with the failing line until a change succeeds", async () => {
    const live = startLiveActor(new CoverageRecorder());
    await live.perform(EMPTY_KERNEL);
    await live.perform(environmentEvents[0]);
    await live.perform(environmentEvents[1]);
    const failure = new IpBatchError([
      {
        line: 3,
        command: "route add default via 192.0.2.1 dev eth0",
        message: "Network is unreachable",
      },
    ]);
    await live.perform({ type: "xstate.error.actor.applyChanges", error: failure });
    const { context } = live.actor.getSnapshot();
    expect(context.lastError?.failures?.[0]).toEqual({
      line: 3,
      command: "route add default via 192.0.2.1 dev eth0",
      message: "Network is unreachable",
    });
    expect(live.published.at(-1)?.failure).toEqual(context.lastError);
    // Refused again: the next wait is twice as long.
    await live.perform({ type: "xstate.after.retryDelay.routeManager.backingOff" });
    await live.perform(EMPTY_KERNEL);
    await live.perform({ type: "xstate.error.actor.applyChanges", error: failure });
    expect(live.actor.getSnapshot().context.failures).toBe(2);
    await live.perform({ type: "xstate.after.retryDelay.routeManager.backingOff" });
    await live.perform(EMPTY_KERNEL);
    await live.perform({ type: "xstate.done.actor.applyChanges" });
    expect(live.actor.getSnapshot().value).toBe("idle");
    expect(live.actor.getSnapshot().context.lastError).toBeUndefined();
    expect(live.actor.getSnapshot().context.failures).toBe(0);
    expect(live.published.at(-1)?.failure).toBeUndefined();
    live.actor.stop();
  });

  it("removes a foreign default route once its interface is managed, and never another's", async () => {
    const live = startLiveActor(new CoverageRecorder());
    await live.perform({
      type: "xstate.done.actor.readKernel",
      output: { owned: [], foreign: [STALE, OTHERS] },
    });
    // Nothing is managed yet: nothing is touched.
    expect(live.actor.getSnapshot().value).toBe("idle");
    expect(live.kernel.ids()).toEqual([entryId(STALE), entryId(OTHERS)].sort());
    expect(live.published.at(-1)?.unmanagedDefaults).toEqual([
      { ifname: "eth0", gateway: "192.0.2.254", metric: 5, outranks: false },
      { ifname: "eth9", gateway: "198.51.100.1", metric: 3, outranks: false },
    ]);
    await live.perform(environmentEvents[0]);
    await live.perform(environmentEvents[1]);
    const { changes } = live.applyChanges.current().input;
    expect(changes.filter((change) => change.op === "del").map(changeCommand)).toEqual([
      "route del default via 192.0.2.254 dev eth0 metric 5 table main",
    ]);
    await live.perform({ type: "xstate.done.actor.applyChanges" });
    // The connection report that arrived during the batch is applied next.
    if (live.actor.getSnapshot().matches("applying")) {
      await live.perform({ type: "xstate.done.actor.applyChanges" });
    }
    expect(live.actor.getSnapshot().value).toBe("idle");
    expect(live.kernel.ids()).toContain(entryId(OTHERS));
    expect(live.kernel.ids()).not.toContain(entryId(STALE));
    // eth9's metric 3 beats eth0's 10: it decides where traffic goes, and says so.
    expect(live.published.at(-1)?.unmanagedDefaults).toEqual([
      { ifname: "eth9", gateway: "198.51.100.1", metric: 3, outranks: true },
    ]);
    live.actor.stop();
  });

  it("waits twice as long after each refusal in a row, up to the limit", () => {
    const base = { retryDelayMs: 1_000, maxRetryDelayMs: 10_000 } as RouteManagerContext;
    const delays = [1, 2, 3, 4, 5, 6].map((failures) => retryDelayOf({ ...base, failures }));
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });
});
