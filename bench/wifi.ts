import { runScriptInVm } from "../demo/vm-script.js";
import { vmLabAvailability } from "../lab/vm/availability.js";
import { report } from "./stats.js";

/**
 * The WiFi figures. This host has no WiFi: with the VM lab available, one VM
 * (mac80211_hwsim radios) runs bench/wifi-in-vm.ts, whose JSON lines are
 * passed on as they come; anything else it prints goes to stderr. Without
 * it, one line says the WiFi figures were skipped and why.
 */
export async function benchWifi(): Promise<void> {
  const availability = await vmLabAvailability();
  if (!availability.available) {
    report("wifi_skipped", { reason: `the VM lab is unavailable: ${availability.reason}` });
    return;
  }
  let pending = "";
  const pass = (line: string) => {
    if (line.startsWith('{"bench":')) process.stdout.write(`${line}\n`);
    else if (line.trim() !== "") process.stderr.write(`vm: ${line}\n`);
  };
  const env: Record<string, string> = { STATENET_VM_ACCELERATOR: availability.accelerator };
  for (const name of ["STATENET_BENCH_TRIALS", "STATENET_BENCH_WIFI_LOG"]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  const result = await runScriptInVm("bench/wifi-in-vm.ts", {
    env,
    timeoutMs: 90 * 60_000,
    onOutput: (text) => {
      const lines = (pending + text).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) pass(line);
    },
  });
  pass(pending);
  if (result.exitCode !== 0) {
    throw new Error(
      `the WiFi bench failed in the VM (exit ${result.exitCode}; kernel log ${result.consoleLog})`,
    );
  }
}
