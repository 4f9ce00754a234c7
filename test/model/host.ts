import {
  type ActorRefFrom,
  type AnyStateMachine,
  createActor,
  type EventObject,
  type InspectionEvent,
  type SimulatedClock,
  setup,
} from "xstate";

/**
 * Runs a machine that reports to its parent (`sendParent`) under a host that
 * records those reports. The clock and inspection apply to the whole system.
 */
export function hostChild<TMachine extends AnyStateMachine, TReport extends EventObject>(
  machine: TMachine,
  options: {
    input: unknown;
    clock: SimulatedClock;
    inspect: (event: InspectionEvent) => void;
    /** Report types start with this, e.g. `interface.`. */
    reportPrefix: string;
  },
) {
  const reports: TReport[] = [];
  const host = setup({ actors: { child: machine as AnyStateMachine } }).createMachine({
    invoke: { id: "child", src: "child", input: options.input as never },
    on: {
      "*": {
        actions: ({ event }) => {
          if (event.type.startsWith(options.reportPrefix)) reports.push(event as TReport);
        },
      },
    },
  });
  const hostActor = createActor(host, { clock: options.clock, inspect: options.inspect });
  hostActor.start();
  const actor = hostActor.getSnapshot().children.child as ActorRefFrom<TMachine>;
  return { actor, host: hostActor, reports };
}
