import { describe, expect, it } from "vitest";
import { createActor, fromCallback, fromPromise } from "xstate";
import { interfaceMachine } from "../../../machines/interface.js";
import type { InterfaceConfig } from "../../../src/config/schema.js";
import type { TechnologyPlan } from "../../../src/technologies/types.js";

/**
 * A technology whose up commands create its interface (a bridge) is
 * configured at once; any other waits for the kernel to show the interface.
 */

const plan = (createsInterface: boolean): TechnologyPlan => ({
  up: [{ kind: "ip", args: ["link", "add", "name", "br0", "type", "bridge"] }],
  down: [{ kind: "ip", args: ["link", "del", "br0"] }],
  files: [],
  daemons: [],
  reaches: "lan",
  routeClass: "ethernet",
  ...(createsInterface ? { createsInterface: true as const } : {}),
});

function startAbsent(createsInterface: boolean) {
  const ranUp: TechnologyPlan[] = [];
  const actor = createActor(
    interfaceMachine.provide({
      actors: {
        bringUp: fromPromise(async ({ input }) => {
          ranUp.push(input.plan);
        }),
        bringDown: fromPromise(async () => {}),
        daemons: fromCallback(() => {}),
      },
      actions: {
        reportStaticIpv4: () => {},
        reportIpv4: () => {},
        reportIpv4Cleared: () => {},
        reportStopped: () => {},
      },
    }),
    {
      input: {
        ifname: "br0",
        // The machine never looks inside a config: only the planner does.
        config: { type: "bridge" } as unknown as InterfaceConfig,
        planner: () => plan(createsInterface),
        present: false,
      },
    },
  );
  actor.start();
  return { actor, ranUp };
}

describe("an interface its technology creates", () => {
  it("is configured without waiting for it to appear", async () => {
    const { actor, ranUp } = startAbsent(true);
    await waitForState(actor, "configured");
    expect(ranUp).toHaveLength(1);
    actor.stop();
  });

  it("is waited for when its technology does not create it", async () => {
    const { actor, ranUp } = startAbsent(false);
    expect(actor.getSnapshot().value).toBe("waitingForInterface");
    expect(ranUp).toEqual([]);
    actor.send({ type: "link.present", present: true });
    await waitForState(actor, "configured");
    actor.stop();
  });
});

function waitForState(actor: ReturnType<typeof startAbsent>["actor"], state: string) {
  return new Promise<void>((resolve) => {
    const check = () => {
      if (actor.getSnapshot().value === state) {
        subscription.unsubscribe();
        resolve();
      }
    };
    const subscription = actor.subscribe(check);
    check();
  });
}
