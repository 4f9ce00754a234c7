import { exitOnSignals, labUnavailableReason } from "../lab/namespace-lab.js";
import { benchCarrierSwitch } from "./carrier-switch.js";
import { benchFootprint } from "./footprint.js";
import { benchRouteApply } from "./route-apply.js";
import { report } from "./stats.js";
import { benchUpstreamLoss } from "./upstream-loss.js";
import { benchWifi } from "./wifi.js";

// Benchmarks run only inside their own namespaces; never on this machine's networking.
process.env.STATENET_REQUIRE_NETNS = "1";
exitOnSignals();

const unavailable = labUnavailableReason();
if (unavailable) {
  report("skipped", { reason: unavailable });
  process.exit(1);
}
await benchFootprint();
await benchRouteApply();
await benchCarrierSwitch();
await benchUpstreamLoss();
// In a VM with WiFi radios, or one line saying why not.
await benchWifi();
