import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { AnyStateMachine } from "xstate";
import { CoverageRecorder, machineGraph } from "./coverage.js";
import type { ModelPath, ModelStep } from "./paths.js";

/** A live actor (with its fakes) that replays a path's events. */
export interface LiveModel {
  perform(event: ModelStep["event"]): Promise<void>;
  stop(): void;
}

export interface EveryEdgeOptions<Live extends LiveModel, Path extends ModelPath> {
  machine: AnyStateMachine;
  paths: readonly Path[];
  /** A graph smaller than this means the walk lost its events. */
  minimumPaths: number;
  start: (recorder: CoverageRecorder, path: Path) => Live;
  /** The invariants after each step; the state value is compared already. */
  check: (live: Live, step: ModelStep) => void;
  /** Further tests that add to the coverage before it is asserted. */
  more?: (recorder: CoverageRecorder) => void;
}

/**
 * Replays every path on a live actor, checks the machine is where the graph
 * says after each step plus the caller's invariants, and finally asserts
 * that every state and transition of the machine was exercised.
 */
export function describeEveryEdge<Live extends LiveModel, Path extends ModelPath>(
  title: string,
  options: EveryEdgeOptions<Live, Path>,
): void {
  describe(title, () => {
    const recorder = new CoverageRecorder();

    it("has paths to walk", () => {
      expect(options.paths.length).toBeGreaterThan(options.minimumPaths);
    });

    it.each(options.paths.map((path, index) => [index, path.name, path] as const))(
      "path %i: %s",
      async (_index, _name, path) => {
        const live = options.start(recorder, path);
        try {
          for (const step of path.steps.slice(1)) {
            await live.perform(step.event);
            options.check(live, step);
          }
        } finally {
          live.stop();
        }
      },
    );

    options.more?.(recorder);

    it("exercised every state and transition of the machine", () => {
      expect(recorder.missing(options.machine)).toEqual({ states: [], transitions: [] });
    });

    afterAll(() => reportCoverage(options.machine, recorder));
  });
}

/**
 * Where `scripts/test.ts` collects each machine's coverage
 * (STATENET_MODEL_COVERAGE_DIR); without it nothing is written.
 */
function reportCoverage(machine: AnyStateMachine, recorder: CoverageRecorder): void {
  const dir = process.env.STATENET_MODEL_COVERAGE_DIR;
  if (!dir) return;
  const graph = machineGraph(machine);
  const missing = recorder.missing(machine);
  const report = {
    machine: machine.id,
    states: { covered: graph.states.length - missing.states.length, total: graph.states.length },
    transitions: {
      covered: graph.transitions.length - missing.transitions.length,
      total: graph.transitions.length,
    },
    missing,
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${machine.id}.json`), JSON.stringify(report, null, 2));
}
