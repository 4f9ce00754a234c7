import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { IN_VM_ENV } from "./in-vm.js";
import { type RunInVmOptions, runInVm, type VmRunResult } from "./run-in-vm.js";

/**
 * Test files that run inside the VM lab: `test/**\/*.vm.test.ts`. The
 * project's vitest config leaves them out; on the host, a wrapper test boots
 * one VM per file and runs vitest on that file inside, with the VM config
 * (lab/vm/vitest.config.ts) and STATENET_IN_VM=1.
 */

export const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export const VM_TEST_SUFFIX = ".vm.test.ts";

const VM_VITEST_CONFIG = "lab/vm/vitest.config.ts";

/** The VM test files, relative to the project root, sorted. */
export async function vmTestFiles(): Promise<string[]> {
  const entries = await readdir(join(PROJECT_ROOT, "test"), { recursive: true });
  return entries
    .filter((entry) => entry.endsWith(VM_TEST_SUFFIX))
    .map((entry) => join("test", entry))
    .sort();
}

/**
 * What a VM test file asks of its VM, in a line of its own: `// vm-lab: nics=2`
 * gives it two NICs (RunInVmOptions.nics).
 */
export function declaredVmOptions(source: string): Pick<RunInVmOptions, "nics"> {
  const nics = /^\/\/ vm-lab: nics=(\d+)$/m.exec(source)?.[1];
  return nics === undefined ? {} : { nics: Number(nics) };
}

/** Boots a VM and runs vitest on one VM test file inside it; the result carries vitest's exit code and output. */
export async function runVmTestFile(
  file: string,
  options: Omit<RunInVmOptions, "command" | "cwd" | "env"> = {},
): Promise<VmRunResult> {
  if (!file.endsWith(VM_TEST_SUFFIX)) {
    throw new RangeError(`file: a VM test file ends in ${VM_TEST_SUFFIX}, not ${file}`);
  }
  const declared = declaredVmOptions(await readFile(join(PROJECT_ROOT, file), "utf8"));
  return runInVm({
    ...declared,
    ...options,
    // The host's node: the VM sees the host's root, so the same binary runs there.
    command: [
      process.execPath,
      "node_modules/vitest/vitest.mjs",
      "run",
      "--config",
      VM_VITEST_CONFIG,
      // Loads the config through vite's module runner instead of bundling it
      // first: about 3 s less per VM under TCG.
      "--configLoader",
      "runner",
      file,
    ],
    cwd: PROJECT_ROOT,
    // As test/setup.ts sets it on the host: the ip runner refuses the initial namespace.
    env: { [IN_VM_ENV]: "1", STATENET_REQUIRE_NETNS: "1", NO_COLOR: "1" },
  });
}
