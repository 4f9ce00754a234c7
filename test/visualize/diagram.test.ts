import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { AnyStateNode } from "xstate";
import { ALL_MACHINES } from "../../machines/index.js";
import { describeMachine, toDot, toMermaid } from "../../visualize/diagram.js";

function stateIds(node: AnyStateNode): string[] {
  return Object.values(node.states as Record<string, AnyStateNode>).flatMap((child) => [
    child.id,
    ...stateIds(child),
  ]);
}

function transitionCount(node: AnyStateNode): number {
  const own =
    [...(node.transitions as Map<string, unknown[]>).values()].reduce(
      (sum, branches) => sum + branches.length,
      0,
    ) + (node.always?.length ?? 0);
  return (
    own +
    Object.values(node.states as Record<string, AnyStateNode>).reduce(
      (sum, child) => sum + transitionCount(child),
      0,
    )
  );
}

describe.each(ALL_MACHINES.map((machine) => [machine.id, machine] as const))(
  "the %s machine's diagram",
  (_id, machine) => {
    const diagram = describeMachine(machine);
    const mermaid = toMermaid(diagram);
    const dot = toDot(diagram);
    const safe = (id: string) => id.replace(/[^A-Za-z0-9_]/g, "_");

    it("has every state of the machine", () => {
      for (const id of stateIds(machine.root)) {
        expect(mermaid, id).toContain(`as ${safe(id)}`);
        expect(dot, id).toContain(`"${safe(id)}"`);
      }
    });

    it("is committed up to date (npm run visualize writes it), with every state in its SVG", () => {
      const file = (extension: string) =>
        readFileSync(
          new URL(`../../docs/diagrams/${machine.id}.${extension}`, import.meta.url),
          "utf8",
        );
      expect(file("mmd")).toBe(mermaid);
      const svg = file("svg");
      for (const id of stateIds(machine.root))
        expect(svg, id).toContain(`<title>${safe(id)}</title>`);
    });

    it("has every transition of the machine", () => {
      // Each branch is an edge, or one of the events the machine handles in every state.
      expect(diagram.edges.length + diagram.everywhere.length).toBe(transitionCount(machine.root));
      for (const edge of diagram.edges) expect(mermaid).toContain(`: ${edge.label}`);
    });
  },
);
