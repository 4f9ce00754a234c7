import { IN_VM_ENV } from "../lab/vm/in-vm.js";
import { type RunInVmOptions, runInVm, type VmRunResult } from "../lab/vm/run-in-vm.js";
import { PROJECT_ROOT } from "../lab/vm/vm-tests.js";

/**
 * Runs one of the project's TypeScript scripts in a fresh VM of the VM lab
 * (mac80211_hwsim radios), with the host's node and tsx: the VM sees the
 * host's root, the project shared at its own path. The demo and the bench
 * use it for their WiFi parts; the host has no WiFi.
 */
export function runScriptInVm(
  /** Relative to the project root, e.g. `demo/wifi-in-vm.ts`. */
  script: string,
  options: Omit<RunInVmOptions, "command" | "cwd" | "env"> & {
    env?: Readonly<Record<string, string>>;
  } = {},
): Promise<VmRunResult> {
  const { env = {}, ...rest } = options;
  return runInVm({
    ...rest,
    command: [process.execPath, "--import", "tsx", script],
    cwd: PROJECT_ROOT,
    // As on the host: the ip runner refuses the initial namespace, even the VM's.
    env: { ...env, [IN_VM_ENV]: "1", STATENET_REQUIRE_NETNS: "1", NO_COLOR: "1" },
  });
}

/** Ctrl-C, SIGTERM or a hangup end the process normally, so QEMU is killed with it (execa's cleanup). */
export function exitOnHostSignals(): void {
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => process.exit(130));
  }
}
