import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from "xstate";

/**
 * A machine's diagram, read from the machine itself (so it can never drift
 * from the code): its state tree and every transition, as Mermaid
 * `stateDiagram-v2` for the README and as Graphviz DOT for SVG rendering.
 */

export interface DiagramState {
  id: string;
  label: string;
  kind: "atomic" | "compound" | "parallel" | "final" | "history";
  /** The child entered first, for compound states. */
  initial: string | undefined;
  children: DiagramState[];
}

export interface DiagramEdge {
  from: string;
  to: string;
  label: string;
}

export interface MachineDiagram {
  id: string;
  root: DiagramState;
  edges: DiagramEdge[];
  /** Events the machine itself handles in every state without leaving it. */
  everywhere: string[];
}

/** `xstate.after.interval.connectivity.internet.waiting` → `after interval`, and so on. */
function eventLabel(eventType: string): string {
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (after) return `after ${after[1]}`;
  const actor = /^xstate\.(done|error)\.actor\.(.+)$/.exec(eventType);
  if (actor) return `${actor[2] === "*" ? "any child" : actor[2]} ${actor[1]}`;
  return eventType;
}

function guardLabel(transition: AnyTransitionDefinition): string {
  const guard = transition.guard as unknown;
  if (guard === undefined) return "";
  if (typeof guard === "string") return ` [${guard}]`;
  if (typeof guard === "object" && guard !== null && "type" in guard) {
    return ` [${String((guard as { type: unknown }).type)}]`;
  }
  return " [guard]";
}

function describeState(node: AnyStateNode): DiagramState {
  const children = Object.values(node.states as Record<string, AnyStateNode>).map(describeState);
  const initial = (node.initial as unknown as { target?: readonly AnyStateNode[] } | undefined)
    ?.target?.[0]?.id;
  return {
    id: node.id,
    label: node.key,
    kind: node.type,
    initial: node.type === "compound" ? initial : undefined,
    children,
  };
}

function allNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states as Record<string, AnyStateNode>).flatMap(allNodes)];
}

export function describeMachine(machine: AnyStateMachine): MachineDiagram {
  const edges: DiagramEdge[] = [];
  for (const node of allNodes(machine.root)) {
    const transitions: Array<[string, AnyTransitionDefinition[]]> = [
      ...(node.transitions as Map<string, AnyTransitionDefinition[]>).entries(),
      ["always", (node.always ?? []) as AnyTransitionDefinition[]],
    ];
    for (const [eventType, branches] of transitions) {
      for (const transition of branches) {
        const label = `${eventLabel(eventType)}${guardLabel(transition)}`;
        // A targetless transition only runs actions: drawn as a loop on its state.
        const targets = transition.target?.length ? transition.target : [node];
        for (const target of targets) edges.push({ from: node.id, to: target.id, label });
      }
    }
  }
  const rootId = machine.root.id;
  const everywhere = edges
    .filter((edge) => edge.from === rootId && edge.to === rootId)
    .map((edge) => edge.label);
  return {
    id: machine.id,
    root: describeState(machine.root),
    edges: edges.filter((edge) => !(edge.from === rootId && edge.to === rootId)),
    everywhere,
  };
}

/** Mermaid and DOT need plain identifiers. */
const safeId = (id: string) => id.replace(/[^A-Za-z0-9_]/g, "_");

export function toMermaid(diagram: MachineDiagram): string {
  const lines = ["stateDiagram-v2"];
  const declare = (state: DiagramState, indent: string) => {
    for (const child of state.children) {
      if (child.children.length > 0) {
        lines.push(`${indent}state "${child.label}" as ${safeId(child.id)} {`);
        if (child.initial) lines.push(`${indent}  [*] --> ${safeId(child.initial)}`);
        declare(child, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        lines.push(`${indent}state "${child.label}" as ${safeId(child.id)}`);
        if (child.kind === "final") lines.push(`${indent}${safeId(child.id)} --> [*]`);
      }
    }
  };
  declare(diagram.root, "  ");
  if (diagram.everywhere.length > 0) {
    lines.push(
      `  state "in every state: ${diagram.everywhere.join(", ").replace(/"/g, "'")}" as __everywhere`,
    );
  }
  if (diagram.root.initial) lines.push(`  [*] --> ${safeId(diagram.root.initial)}`);
  for (const edge of diagram.edges) {
    // Transitions of the machine itself (handled in every state) are drawn from its initial state.
    const from = edge.from === diagram.root.id ? "[*]" : safeId(edge.from);
    const to = edge.to === diagram.root.id ? "[*]" : safeId(edge.to);
    lines.push(`  ${from} --> ${to} : ${edge.label.replace(/:/g, " ")}`);
  }
  return `${lines.join("\n")}\n`;
}

export function toDot(diagram: MachineDiagram): string {
  const lines = [
    `digraph "${diagram.id}" {`,
    "  rankdir=LR; compound=true;",
    '  node [shape=box, style="rounded,filled", fillcolor="#f4f6fb", fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=9, color="#5b6b8c"];',
  ];
  const declare = (state: DiagramState, indent: string) => {
    for (const child of state.children) {
      if (child.children.length > 0) {
        lines.push(`${indent}subgraph "cluster_${safeId(child.id)}" {`);
        lines.push(`${indent}  label="${child.label}"; style="rounded"; color="#8a99b8";`);
        // Edges into a compound state end at an invisible anchor inside it.
        lines.push(`${indent}  "${safeId(child.id)}" [shape=point, width=0.08, label=""];`);
        declare(child, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        const shape = child.kind === "final" ? ", peripheries=2" : "";
        lines.push(`${indent}"${safeId(child.id)}" [label="${child.label}"${shape}];`);
      }
    }
  };
  declare(diagram.root, "  ");
  if (diagram.everywhere.length > 0) {
    const events = [...new Set(diagram.everywhere)]
      .map((event) => event.replace(/"/g, "'"))
      .join("\\l");
    lines.push(`  "__everywhere" [shape=note, label="in every state:\\l${events}\\l"];`);
  }
  lines.push(`  "__start" [shape=point, width=0.12, label=""];`);
  if (diagram.root.initial) lines.push(`  "__start" -> "${safeId(diagram.root.initial)}";`);
  for (const edge of diagram.edges) {
    const from = edge.from === diagram.root.id ? "__start" : safeId(edge.from);
    const label = edge.label.replace(/"/g, "'");
    lines.push(`  "${from}" -> "${safeId(edge.to)}" [label="${label}"];`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
