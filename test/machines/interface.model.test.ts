import { describe, expect, it } from "vitest";
import { fromCallback, SimulatedClock } from "xstate";
import {
  type CommandsInput,
  type DaemonsInput,
  type InterfaceContext,
  type InterfaceEvent,
  type InterfaceReport,
  type InterfaceStateName,
  interfaceMachine,
  leavesInterfaceAlone,
} from "../../machines/interface.js";
import type { InterfaceConfig } from "../../src/config/schema.js";
import { builtinPlanner } from "../../src/technologies/builtin.js";
import { controlledPromise, settle } from "../model/controlled-promise.js";
import { CoverageRecorder } from "../model/coverage.js";
import { hostChild } from "../model/host.js";
import { edgeCoveringPaths } from "../model/paths.js";
import { describeEveryEdge } from "../model/walk.js";

const RETRY_DELAY_MS = 30_000;
const DHCP: InterfaceConfig = { type: "ethernet", ipv4: { method: "dhcp" } };
const STATIC: InterfaceConfig = {
  type: "ethernet",
  ipv4: {
    method: "static",
    address: "198.51.100.10",
    prefixLength: 24,
    gateway: "198.51.100.1",
    nameServers: ["198.51.100.1"],
  },
};
/** The same plan as DHCP: only the checker's timings differ. */
const DHCP_TIMED: InterfaceConfig = { ...DHCP, connectivity: { intervalMs: 1_000 } };
const LEASE = {
  addresses: [{ address: "192.0.2.120", prefixLength: 24 }],
  gateway: "192.0.2.1",
  nameServers: ["192.0.2.1"],
};

type AnyEvent = { type: string; [key: string]: unknown };

const environmentEvents: AnyEvent[] = [
  { type: "config.changed", config: DHCP },
  { type: "config.changed", config: STATIC },
  { type: "config.changed", config: DHCP_TIMED },
  { type: "config.changed", config: { type: "null" } },
  { type: "link.present", present: false },
  { type: "link.present", present: true },
  { type: "interface.stop" },
  { type: "interface.restart" },
];

const platformEvents: Record<string, AnyEvent[]> = {
  configuring: [
    { type: "xstate.done.actor.bringUp" },
    { type: "xstate.error.actor.bringUp", error: new Error("ip: Cannot find device") },
  ],
  configured: [
    { type: "ipv4.updated", settings: LEASE },
    { type: "ipv4.cleared" },
    { type: "daemon.failed", reason: "udhcpc: not found" },
  ],
  reconfiguring: [
    { type: "xstate.done.actor.bringDown" },
    { type: "xstate.error.actor.bringDown", error: new Error("ip: timed out") },
  ],
  stopping: [
    { type: "xstate.done.actor.bringDown" },
    { type: "xstate.error.actor.bringDown", error: new Error("ip: timed out") },
  ],
  retrying: [{ type: "xstate.after.retryDelay.interface.retrying" }],
};

function serialize(snapshot: { value: unknown; context: InterfaceContext }): string {
  const { config, pendingConfig, present } = snapshot.context;
  return JSON.stringify([snapshot.value, config, pendingConfig, present]);
}

const input = {
  ifname: "eth0",
  config: DHCP,
  planner: builtinPlanner,
  present: true,
  retryDelayMs: RETRY_DELAY_MS,
};

/** The graph is walked without a parent to report to; the live actors have one. */
const walkedMachine = interfaceMachine.provide({
  actions: {
    reportStaticIpv4: () => {},
    reportIpv4: () => {},
    reportIpv4Cleared: () => {},
    reportStopped: () => {},
  },
});

const paths = edgeCoveringPaths(walkedMachine, {
  input,
  events: (snapshot) => {
    const { value } = snapshot as unknown as { value: string };
    // A stopped interface is done: its actor takes no more events.
    if (value === "stopped") return [];
    return [...environmentEvents, ...(platformEvents[value] ?? [])];
  },
  serializeState: (snapshot) => serialize(snapshot as never),
});

/** Names the machine publishes for its states. */
const PUBLISHED: Record<string, InterfaceStateName> = {
  waitingForInterface: "waiting_for_interface",
  configuring: "configuring",
  configured: "configured",
  reconfiguring: "reconfiguring",
  retrying: "retrying",
  stopping: "stopping",
  stopped: "stopped",
};

function startLiveActor(recorder: CoverageRecorder) {
  const bringUp = controlledPromise<void, CommandsInput>();
  const bringDown = controlledPromise<void, CommandsInput>();
  const daemonRuns: Array<{
    input: DaemonsInput;
    stopped: boolean;
    sendBack: (e: InterfaceEvent) => void;
  }> = [];
  const published: InterfaceStateName[] = [];
  const errors: Array<{ stage: string; message: string }> = [];
  const clock = new SimulatedClock();
  const machine = interfaceMachine.provide({
    actors: {
      bringUp: bringUp.logic,
      bringDown: bringDown.logic,
      daemons: fromCallback<InterfaceEvent, DaemonsInput>(({ input: daemonsInput, sendBack }) => {
        const run = { input: daemonsInput, stopped: false, sendBack };
        daemonRuns.push(run);
        return () => {
          run.stopped = true;
        };
      }),
    },
    actions: {
      publishState: (_, { state }) => published.push(state),
      reportError: (_, { stage, message }) => errors.push({ stage, message }),
    },
  });
  // The interface reports to its parent, so it runs under a host that records the reports.
  const {
    actor,
    host: hostActor,
    reports,
  } = hostChild<typeof machine, InterfaceReport>(machine, {
    input,
    clock,
    inspect: recorder.inspect,
    reportPrefix: "interface.",
  });

  async function perform(event: AnyEvent): Promise<void> {
    switch (event.type) {
      case "xstate.done.actor.bringUp":
        bringUp.current().resolve();
        break;
      case "xstate.error.actor.bringUp":
        bringUp.current().reject(event.error);
        break;
      case "xstate.done.actor.bringDown":
        bringDown.current().resolve();
        break;
      case "xstate.error.actor.bringDown":
        bringDown.current().reject(event.error);
        break;
      case "xstate.after.retryDelay.interface.retrying":
        clock.increment(RETRY_DELAY_MS);
        break;
      case "ipv4.updated":
      case "ipv4.cleared":
      case "daemon.failed": {
        // Only a running daemon can report.
        const run = daemonRuns.at(-1);
        if (!run || run.stopped) throw new Error("no running daemons to report");
        run.sendBack(event as InterfaceEvent);
        break;
      }
      default:
        actor.send(event as InterfaceEvent);
    }
    await settle();
  }

  return {
    actor,
    host: hostActor,
    bringUp,
    bringDown,
    daemonRuns,
    published,
    errors,
    reports,
    perform,
    clock,
    stop: () => hostActor.stop(),
  };
}

describeEveryEdge("interface machine, every path of its graph on a live actor", {
  machine: interfaceMachine,
  paths,
  minimumPaths: 30,
  start: (recorder) => startLiveActor(recorder),
  check: (live, step) => {
    const snapshot = live.actor.getSnapshot();
    expect(snapshot.value).toEqual(step.state.value);
    const value = snapshot.value as string;
    // The published state is always the one the machine is in.
    expect(live.published.at(-1)).toBe(PUBLISHED[value]);
    // Commands run only in the states that own them, for the config in force.
    const runningUp = live.bringUp.calls.filter((call) => !call.settled && !call.signal.aborted);
    const runningDown = live.bringDown.calls.filter(
      (call) => !call.settled && !call.signal.aborted,
    );
    expect(runningUp.length).toBe(value === "configuring" ? 1 : 0);
    expect(runningDown.length).toBe(value === "reconfiguring" || value === "stopping" ? 1 : 0);
    // Daemons run exactly while configured.
    const runningDaemons = live.daemonRuns.filter((run) => !run.stopped);
    expect(runningDaemons.length).toBe(value === "configured" ? 1 : 0);
    const { context } = snapshot;
    if (value === "configuring") {
      expect(runningUp[0]?.input.plan.daemons.length).toBe(
        context.config.type === "ethernet" && context.config.ipv4.method === "dhcp" ? 1 : 0,
      );
      // A null config is brought up with nothing to do: the interface is left alone.
      expect(leavesInterfaceAlone(runningUp[0]?.input.plan ?? context.plan)).toBe(
        context.config.type === "null",
      );
    }
    // The parent learns of every address change, and that addresses are gone when not configured.
    const lastAddressReport = live.reports
      .filter((report) => report.type !== "interface.stopped")
      .at(-1);
    if (value !== "configured" && lastAddressReport) {
      expect(lastAddressReport.type).toBe("interface.ipv4_cleared");
    }
    if (value === "stopped") {
      expect(snapshot.status).toBe("done");
      expect(live.reports.at(-1)).toEqual({ type: "interface.stopped", ifname: "eth0" });
    }
  },
});

describe("interface machine, a null config", () => {
  it("plans nothing at all: no commands, files or daemons, so the interface is left alone", () => {
    const plan = builtinPlanner("usb0", { type: "null" });
    expect(plan).toMatchObject({ up: [], down: [], files: [], daemons: [] });
    expect(leavesInterfaceAlone(plan)).toBe(true);
    expect(leavesInterfaceAlone(builtinPlanner("eth0", DHCP))).toBe(false);
    expect(leavesInterfaceAlone(builtinPlanner("eth0", STATIC))).toBe(false);
    const disabledConfig: InterfaceConfig = { type: "ethernet", ipv4: { method: "disabled" } };
    const disabled = builtinPlanner("eth0", disabledConfig);
    expect(leavesInterfaceAlone(disabled)).toBe(false);
  });

  it("is configured with nothing to run once the old config is down", async () => {
    const live = startLiveActor(new CoverageRecorder());
    await live.perform({ type: "xstate.done.actor.bringUp" });
    await live.perform({ type: "config.changed", config: { type: "null" } });
    // The Ethernet config statenet brought up goes down first, as VintageNet does.
    expect(live.bringDown.current().input.plan.down.length).toBeGreaterThan(0);
    await live.perform({ type: "xstate.done.actor.bringDown" });
    const up = live.bringUp.current().input.plan;
    expect([up.up, up.files, up.daemons]).toEqual([[], [], []]);
    await live.perform({ type: "xstate.done.actor.bringUp" });
    expect(live.actor.getSnapshot().value).toBe("configured");
    expect(live.daemonRuns.at(-1)?.input.daemons).toEqual([]);
    expect(live.reports.at(-1)).toEqual({ type: "interface.ipv4_cleared", ifname: "eth0" });
    live.host.stop();
  });
});

describe("interface machine, behaviours", () => {
  it("reports static settings once configured and clears them when leaving", async () => {
    const live = startLiveActor(new CoverageRecorder());
    await live.perform({ type: "config.changed", config: STATIC });
    expect(live.actor.getSnapshot().value).toBe("reconfiguring");
    await live.perform({ type: "xstate.done.actor.bringDown" });
    await live.perform({ type: "xstate.done.actor.bringUp" });
    expect(live.reports.at(-1)).toEqual({
      type: "interface.ipv4",
      ifname: "eth0",
      settings: {
        addresses: [{ address: "198.51.100.10", prefixLength: 24 }],
        gateway: "198.51.100.1",
        nameServers: ["198.51.100.1"],
        domain: undefined,
      },
    });
    await live.perform({ type: "link.present", present: false });
    expect(live.reports.at(-1)).toEqual({ type: "interface.ipv4_cleared", ifname: "eth0" });
    live.host.stop();
  });

  it("takes the old config down before bringing the new one up", async () => {
    const live = startLiveActor(new CoverageRecorder());
    await live.perform({ type: "xstate.done.actor.bringUp" });
    await live.perform({ type: "config.changed", config: STATIC });
    const down = live.bringDown.current();
    expect(down.input.plan.daemons).toEqual([
      { kind: "udhcpc", ifname: "eth0", hostname: undefined },
    ]);
    await live.perform({ type: "xstate.done.actor.bringDown" });
    expect(live.bringUp.current().input.plan.staticIpv4?.addresses).toEqual([
      { address: "198.51.100.10", prefixLength: 24 },
    ]);
    live.host.stop();
  });

  it("cancels running up commands when the interface vanishes, and takes down what they did", async () => {
    const live = startLiveActor(new CoverageRecorder());
    const up = live.bringUp.current();
    await live.perform({ type: "link.present", present: false });
    expect(up.signal.aborted).toBe(true);
    expect(live.actor.getSnapshot().value).toBe("reconfiguring");
    expect(live.bringDown.current().input.plan).toEqual(up.input.plan);
    await live.perform({ type: "xstate.done.actor.bringDown" });
    expect(live.actor.getSnapshot().value).toBe("waitingForInterface");
    live.host.stop();
  });

  it("runs the down steps of an interface that vanishes while configured, then waits for it and configures it again", async () => {
    const live = startLiveActor(new CoverageRecorder());
    await live.perform({ type: "xstate.done.actor.bringUp" });
    const daemons = live.daemonRuns.at(-1);
    await live.perform({ type: "link.present", present: false });
    // Daemons stop at once; the down steps run for the config that was up.
    expect(daemons?.stopped).toBe(true);
    expect(live.reports.at(-1)).toEqual({ type: "interface.ipv4_cleared", ifname: "eth0" });
    expect(live.bringDown.current().input.plan.daemons).toEqual(daemons?.input.daemons);
    // On a missing link they fail: the interface waits regardless, with no error report.
    await live.perform({
      type: "xstate.error.actor.bringDown",
      error: new Error('Cannot find device "eth0"'),
    });
    expect(live.actor.getSnapshot().value).toBe("waitingForInterface");
    expect(live.published).toEqual([
      "configuring",
      "configured",
      "reconfiguring",
      "waiting_for_interface",
    ]);
    expect(live.errors).toEqual([]);
    expect(live.actor.getSnapshot().context.lastError).toBe('Cannot find device "eth0"');
    await live.perform({ type: "link.present", present: true });
    expect(live.actor.getSnapshot().value).toBe("configuring");
    expect(live.bringUp.calls).toHaveLength(2);
    expect(live.actor.getSnapshot().context.config).toEqual(DHCP);
    live.host.stop();
  });

  it("configures an interface that comes back while its down steps still run", async () => {
    const live = startLiveActor(new CoverageRecorder());
    await live.perform({ type: "xstate.done.actor.bringUp" });
    await live.perform({ type: "link.present", present: false });
    await live.perform({ type: "link.present", present: true });
    expect(live.actor.getSnapshot().value).toBe("reconfiguring");
    await live.perform({ type: "xstate.done.actor.bringDown" });
    expect(live.actor.getSnapshot().value).toBe("configuring");
    live.host.stop();
  });

  it("reports down steps that fail on a link that is there", async () => {
    const live = startLiveActor(new CoverageRecorder());
    await live.perform({ type: "xstate.done.actor.bringUp" });
    await live.perform({ type: "config.changed", config: STATIC });
    await live.perform({ type: "xstate.error.actor.bringDown", error: new Error("ip: timed out") });
    expect(live.errors).toEqual([{ stage: "down", message: "ip: timed out" }]);
    await live.perform({ type: "interface.stop" });
    await live.perform({ type: "xstate.error.actor.bringDown", error: new Error("ip: timed out") });
    expect(live.errors).toHaveLength(2);
    live.host.stop();
  });

  it("stops an absent interface without reporting the down steps' failures", async () => {
    const live = startLiveActor(new CoverageRecorder());
    await live.perform({ type: "link.present", present: false });
    await live.perform({ type: "xstate.done.actor.bringDown" });
    await live.perform({ type: "interface.stop" });
    await live.perform({ type: "xstate.error.actor.bringDown", error: new Error("no device") });
    expect(live.actor.getSnapshot().value).toBe("stopped");
    expect(live.errors).toEqual([]);
    live.host.stop();
  });

  it("ignores a config identical to the one in force", async () => {
    const live = startLiveActor(new CoverageRecorder());
    await live.perform({ type: "xstate.done.actor.bringUp" });
    await live.perform({ type: "config.changed", config: structuredClone(DHCP) });
    expect(live.actor.getSnapshot().value).toBe("configured");
    expect(live.daemonRuns).toHaveLength(1);
    live.host.stop();
  });

  it("takes a change of connectivity timings without taking the interface down", async () => {
    const live = startLiveActor(new CoverageRecorder());
    await live.perform({ type: "xstate.done.actor.bringUp" });
    await live.perform({ type: "config.changed", config: DHCP_TIMED });
    expect(live.actor.getSnapshot().value).toBe("configured");
    expect(live.actor.getSnapshot().context.config).toEqual(DHCP_TIMED);
    expect(live.bringDown.calls).toHaveLength(0);
    expect(live.daemonRuns).toHaveLength(1);
    live.host.stop();
  });

  it("restarts with the same config: down, then up again", async () => {
    const live = startLiveActor(new CoverageRecorder());
    await live.perform({ type: "xstate.done.actor.bringUp" });
    await live.perform({ type: "interface.restart" });
    expect(live.actor.getSnapshot().value).toBe("reconfiguring");
    await live.perform({ type: "xstate.done.actor.bringDown" });
    expect(live.actor.getSnapshot().value).toBe("configuring");
    expect(live.bringUp.calls).toHaveLength(2);
    expect(live.actor.getSnapshot().context.config).toEqual(DHCP);
    live.host.stop();
  });

  it("retries after the retry delay, not before", async () => {
    const live = startLiveActor(new CoverageRecorder());
    await live.perform({ type: "xstate.error.actor.bringUp", error: new Error("boom") });
    expect(live.actor.getSnapshot().context.lastError).toBe("boom");
    live.clock.increment(RETRY_DELAY_MS - 1);
    await settle();
    expect(live.bringUp.calls).toHaveLength(1);
    live.clock.increment(1);
    await settle();
    expect(live.bringUp.calls).toHaveLength(2);
    live.host.stop();
  });
});
