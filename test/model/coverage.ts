import type {
  AnyStateMachine,
  AnyStateNode,
  AnyTransitionDefinition,
  InspectionEvent,
} from "xstate";

/** A transition named by where it starts, what triggers it, and which branch of that trigger it is. */
function transitionKey(source: AnyStateNode, trigger: string, index: number): string {
  return `${source.id} --${trigger}[${index}]-->`;
}

function allStateNodes(node: AnyStateNode): AnyStateNode[] {
  return [
    node,
    ...Object.values(node.states as Record<string, AnyStateNode>).flatMap(allStateNodes),
  ];
}

function keyOf(transition: AnyTransitionDefinition): string {
  const source = transition.source;
  const always = source.always?.indexOf(transition) ?? -1;
  if (always >= 0) return transitionKey(source, "always", always);
  const branches = source.transitions.get(transition.eventType) ?? [];
  return transitionKey(source, transition.eventType, branches.indexOf(transition));
}

/** Every state and transition a machine defines. */
export function machineGraph(machine: AnyStateMachine): {
  states: string[];
  transitions: string[];
} {
  const nodes = allStateNodes(machine.root);
  const transitions = nodes.flatMap((node) => [
    ...[...node.transitions.entries()].flatMap(([trigger, branches]) =>
      branches.map((_, index) => transitionKey(node, trigger, index)),
    ),
    ...(node.always ?? []).map((_, index) => transitionKey(node, "always", index)),
  ]);
  return { states: nodes.map((node) => node.id), transitions };
}

/** Collects the states visited and transitions taken by live actors (pass `inspect` to createActor). */
export class CoverageRecorder {
  readonly states = new Set<string>();
  readonly transitions = new Set<string>();

  readonly inspect = (event: InspectionEvent): void => {
    if (event.type === "@xstate.microstep") {
      for (const transition of event._transitions) {
        this.transitions.add(keyOf(transition));
        // A transient state (an initial one left by `always`) shows only as a transition's source.
        this.states.add(transition.source.id);
      }
    }
    if (event.type === "@xstate.snapshot" || event.type === "@xstate.microstep") {
      const snapshot = event.snapshot as { _nodes?: AnyStateNode[] };
      for (const node of snapshot._nodes ?? []) this.states.add(node.id);
    }
  };

  /** What of the machine was never exercised. */
  missing(machine: AnyStateMachine): { states: string[]; transitions: string[] } {
    const graph = machineGraph(machine);
    return {
      states: graph.states.filter((state) => !this.states.has(state)),
      transitions: graph.transitions.filter((transition) => !this.transitions.has(transition)),
    };
  }
}
