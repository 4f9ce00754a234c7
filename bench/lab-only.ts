import { exitOnSignals, labUnavailableReason } from "../lab/namespace-lab.js";
import { report } from "./stats.js";

/**
 * Benchmarks run only inside their own namespaces, never on this machine's
 * networking: probes are refused outside the lab ranges, a signal tears the
 * labs down, and where no lab can be built the bench says why and exits 1.
 */
export function benchInLabsOnly(): void {
  process.env.STATENET_REQUIRE_NETNS = "1";
  exitOnSignals();
  const unavailable = labUnavailableReason();
  if (unavailable) {
    report("skipped", { reason: unavailable });
    process.exit(1);
  }
}
