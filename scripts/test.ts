import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ALL_MACHINES } from "../machines/index.js";

/**
 * Runs the tests (`vitest run [args]`; without args, the VM lab's files
 * last), then prints each machine's state and
 * transition coverage by the model-based tests and fails below 100 %, or when
 * a machine's model tests ran nowhere. `npm test` runs everything,
 * `npm run test:model` only the machines.
 */

const MACHINES = ALL_MACHINES.map((machine) => machine.id);

interface Report {
  machine: string;
  states: { covered: number; total: number };
  transitions: { covered: number; total: number };
  missing: { states: string[]; transitions: string[] };
}

/**
 * The VM lab's files run after the rest, not beside it: each VM keeps a core
 * busy under emulation, and the host's integration tests should not share
 * their two cores with it (nor the VMs with them).
 */
const VM_LAB_TESTS = "test/vm/vm-lab.test.ts";

const dir = mkdtempSync(join(tmpdir(), "statenet-model-coverage-"));
try {
  const args = process.argv.slice(2);
  const runs = args.length > 0 ? [args] : [["--exclude", VM_LAB_TESTS], [VM_LAB_TESTS]];
  const statuses = runs.map(
    (runArgs) =>
      spawnSync("npx", ["vitest", "run", ...runArgs], {
        stdio: "inherit",
        env: { ...process.env, STATENET_MODEL_COVERAGE_DIR: dir },
      }).status,
  );
  const failed = statuses.find((status) => status !== 0);
  const reports = new Map(
    readdirSync(dir).map((file) => {
      const report = JSON.parse(readFileSync(join(dir, file), "utf8")) as Report;
      return [report.machine, report] as const;
    }),
  );
  const filtered = process.argv.length > 2;
  // A run of other tests only has nothing to say about the machines.
  if (!filtered || reports.size > 0) printCoverage(reports);
  if (failed !== undefined) process.exitCode = failed ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Prints each machine's coverage; anything short of complete fails the run. */
function printCoverage(reports: ReadonlyMap<string, Report>): void {
  const percent = ({ covered, total }: { covered: number; total: number }) =>
    `${covered}/${total} (${total === 0 ? 100 : Math.floor((covered / total) * 1000) / 10} %)`;
  let short = false;
  console.log("\nModel-based coverage (every state and transition, replayed on live actors):");
  for (const machine of MACHINES) {
    const report = reports.get(machine);
    if (!report) {
      console.log(`  ${machine.padEnd(14)} no model tests ran`);
      short = true;
      continue;
    }
    const complete =
      report.states.covered === report.states.total &&
      report.transitions.covered === report.transitions.total;
    short ||= !complete;
    console.log(
      `  ${machine.padEnd(14)} states ${percent(report.states).padEnd(16)} transitions ${percent(report.transitions)}${complete ? "" : "  INCOMPLETE"}`,
    );
    for (const state of report.missing.states) console.log(`      missing state ${state}`);
    for (const edge of report.missing.transitions) console.log(`      missing transition ${edge}`);
  }
  if (short) process.exitCode = 1;
}
