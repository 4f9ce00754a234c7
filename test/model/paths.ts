import type { AnyStateMachine, EventObject, Snapshot } from "xstate";
import { getAdjacencyMap, getShortestPaths, type TraversalOptions } from "xstate/graph";

export interface ModelStep {
  event: EventObject & Record<string, unknown>;
  state: Snapshot<unknown> & { value: unknown };
}

export interface ModelPath {
  /** Source state and event of the last step, for naming the test. */
  name: string;
  steps: ModelStep[];
}

/**
 * One path per edge of the machine's graph: the shortest way to the edge's
 * source state, then the edge. Shortest paths alone reach every state but may
 * skip transitions (a timeout that leads somewhere already reached).
 */
export function edgeCoveringPaths(
  machine: AnyStateMachine,
  options: TraversalOptions<Snapshot<unknown>, EventObject, unknown>,
): ModelPath[] {
  const serialize = options.serializeState as (snapshot: Snapshot<unknown>) => string;
  const adjacency = getAdjacencyMap(machine, options as never);
  const toState = new Map<string, ModelStep[]>();
  for (const path of getShortestPaths(machine, options as never)) {
    toState.set(serialize(path.state as Snapshot<unknown>), path.steps as unknown as ModelStep[]);
  }
  const paths: ModelPath[] = [];
  for (const [key, { state, transitions }] of Object.entries(adjacency)) {
    const prefix = toState.get(key);
    if (!prefix) continue;
    const edges = Object.values(transitions) as Array<{ event: EventObject; state: unknown }>;
    for (const { event, state: next } of edges) {
      const value = JSON.stringify((state as { value: unknown }).value);
      paths.push({
        name: `${value} --${event.type}--> ${JSON.stringify((next as { value: unknown }).value)}`,
        steps: [...prefix, { event, state: next } as unknown as ModelStep],
      });
    }
  }
  return paths;
}
