import { vmLabAvailability } from "../lab/vm/availability.js";
import { exitOnHostSignals, runScriptInVm } from "./vm-script.js";

/**
 * `npm run demo:wifi`: the WiFi demo. This host has no WiFi, so it boots one
 * VM of the VM lab (a Debian kernel with mac80211_hwsim radios) and runs
 * demo/wifi-in-vm.ts there, streaming its output. Ctrl-C ends the VM, and
 * with it everything the demo started.
 */

exitOnHostSignals();

const availability = await vmLabAvailability();
if (!availability.available) {
  console.error(`statenet WiFi demo: the VM lab is unavailable: ${availability.reason}`);
  process.exit(1);
}
const slow =
  availability.accelerator === "tcg"
    ? "emulated (TCG): everything takes 15 to 20 times as long as on a device"
    : "KVM";
console.log(`statenet WiFi demo: booting a VM with mac80211_hwsim radios, ${slow}\n`);
const result = await runScriptInVm("demo/wifi-in-vm.ts", {
  timeoutMs: 20 * 60_000,
  onOutput: (text) => process.stdout.write(text),
});
console.log(
  `\nVM: boot ${((result.bootMs ?? Number.NaN) / 1000).toFixed(1)} s, whole run ${(result.durationMs / 1000).toFixed(0)} s${
    result.consoleLog ? `; its kernel log: ${result.consoleLog}` : ""
  }`,
);
process.exitCode = result.exitCode === 0 ? 0 : 1;
