import {
  type AnyStateMachine,
  type EventObject,
  initialTransition,
  type Snapshot,
  transition,
} from "xstate";

export interface ModelStep {
  event: EventObject & Record<string, unknown>;
  state: Snapshot<unknown> & { value: unknown };
}

export interface ModelPath {
  /** Source state and event of the last step, for naming the test. */
  name: string;
  steps: ModelStep[];
}

export interface GraphOptions {
  input?: unknown;
  /** The events to try in a state. */
  events: (snapshot: Snapshot<unknown>) => ReadonlyArray<EventObject>;
  /** States with the same key are the same node of the graph. */
  serializeState: (snapshot: Snapshot<unknown>) => string;
}

type MachineSnapshot = Snapshot<unknown> & { value: unknown };

/**
 * One path per edge of the machine's graph: the shortest way to the edge's
 * source state, then the edge. Shortest paths alone reach every state but may
 * skip transitions (a timeout that leads somewhere already reached).
 *
 * Walked with xstate's pure `transition`, which gives every step a fresh actor
 * system: `xstate/graph` shares one across the walk, so a machine that spawns
 * children with system ids collides with itself there.
 */
export function edgeCoveringPaths(machine: AnyStateMachine, options: GraphOptions): ModelPath[] {
  const [initial] = initialTransition(machine, options.input) as [MachineSnapshot, unknown];
  const toState = new Map<string, ModelStep[]>([
    [options.serializeState(initial), [{ event: { type: "xstate.init" }, state: initial }]],
  ]);
  const queue: MachineSnapshot[] = [initial];
  const paths: ModelPath[] = [];
  for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
    const prefix = toState.get(options.serializeState(state)) ?? [];
    for (const event of options.events(state)) {
      const [next] = transition(machine, state as never, event) as [MachineSnapshot, unknown];
      const steps = [...prefix, { event: event as ModelStep["event"], state: next }];
      paths.push({
        name: `${JSON.stringify(state.value)} --${event.type}--> ${JSON.stringify(next.value)}`,
        steps,
      });
      const key = options.serializeState(next);
      if (!toState.has(key)) {
        toState.set(key, steps);
        queue.push(next);
      }
    }
  }
  return paths;
}
