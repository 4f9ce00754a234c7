import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // *.vm.test.ts run inside the VM lab: test/vm/vm-lab.test.ts boots one VM per file.
    exclude: [...configDefaults.exclude, "**/*.vm.test.ts"],
    setupFiles: ["test/setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
