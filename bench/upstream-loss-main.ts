import { benchInLabsOnly } from "./lab-only.js";
import { benchUpstreamLoss } from "./upstream-loss.js";

/**
 * Only the upstream-loss part of `npm run bench` (failover, failback, soaks,
 * probe traffic), for a quick look with shortened counts:
 * `STATENET_BENCH_TRIALS=2 STATENET_BENCH_SOAK_MINUTES=1 npx tsx bench/upstream-loss-main.ts`
 * after `npm run build`.
 */

benchInLabsOnly();
await benchUpstreamLoss();
