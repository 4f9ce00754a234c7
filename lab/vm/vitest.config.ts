import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * The vitest config inside the VM lab: only `*.vm.test.ts` files, which the
 * project's own config leaves out. Timeouts allow for TCG, which runs
 * everything 15 to 20 times slower than the host.
 */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL("../..", import.meta.url)),
    include: ["test/**/*.vm.test.ts"],
    // No test/setup.ts: a fresh VM has no abandoned labs to sweep, and every
    // import costs seconds under TCG. runVmTestFile sets STATENET_REQUIRE_NETNS.
    // Worker threads start faster than forked processes.
    pool: "threads",
    // The results cache lives in the shared node_modules; the host run owns it.
    cache: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
