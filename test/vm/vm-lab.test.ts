import { beforeAll, describe, expect, it } from "vitest";
import { vmLabAvailability } from "../../lab/vm/availability.js";
import { prepareVmLab, type VmLabPaths } from "../../lab/vm/setup.js";
import { runVmTestFile, vmTestFiles } from "../../lab/vm/vm-tests.js";

// Every test/**/*.vm.test.ts, each inside a VM of its own (the project's vitest
// config leaves them out of host runs). Under TCG a file takes a minute or two.
const availability = await vmLabAvailability();
const files = await vmTestFiles();
const FILE_TIMEOUT_MS = 900_000;
/**
 * VMs at once: each takes one vCPU under TCG, and the rest of the suite runs
 * beside them; two halve the wall time without starving the others.
 */
const PARALLEL_VMS = 2;

/** Runs at most `limit` of the queued tasks at a time. */
function limiter(limit: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await task();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}
const inTurn = limiter(PARALLEL_VMS);

if (availability.available) {
  describe.concurrent("the VM lab's test files", () => {
    let lab: VmLabPaths;

    // The first setup downloads and unpacks the kernel (about 70 MB).
    beforeAll(async () => {
      lab = await prepareVmLab();
    }, FILE_TIMEOUT_MS);

    it("finds the VM test files", () => {
      expect(files).toContain("test/vm/radios.vm.test.ts");
    });

    for (const file of files) {
      it(
        `${file} passes inside a VM`,
        async () => {
          const result = await inTurn(() =>
            runVmTestFile(file, {
              lab,
              accelerator: availability.accelerator,
              timeoutMs: FILE_TIMEOUT_MS - 10_000,
            }),
          );
          const inner = /Duration .*/.exec(result.output)?.[0] ?? "";
          console.log(
            `${file}: boot ${result.bootMs} ms, whole VM ${result.durationMs} ms; ${inner}`,
          );
          const report = `${file} in the VM exited ${result.exitCode} (kernel console log: ${result.consoleLog}):\n${result.output}`;
          expect(result.exitCode, report).toBe(0);
        },
        FILE_TIMEOUT_MS,
      );
    }
  });
} else {
  describe.skip(`the VM lab's test files (skipped: ${availability.reason})`, () => {
    for (const file of files) it(file, () => {});
  });
}
