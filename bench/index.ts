import { benchCarrierSwitch } from "./carrier-switch.js";
import { benchFootprint } from "./footprint.js";
import { benchInLabsOnly } from "./lab-only.js";
import { benchRouteApply } from "./route-apply.js";
import { benchUpstreamLoss } from "./upstream-loss.js";
import { benchWifi } from "./wifi.js";

benchInLabsOnly();
await benchFootprint();
await benchRouteApply();
await benchCarrierSwitch();
await benchUpstreamLoss();
// In a VM with WiFi radios, or one line saying why not.
await benchWifi();
