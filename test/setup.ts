import { sweepAbandonedLabs } from "../lab/namespace-lab.js";

// Nothing a test starts may change the networking of the machine it runs on:
// the ip runner refuses to change the initial namespace when this is set.
process.env.STATENET_REQUIRE_NETNS = "1";

// Labs of an earlier run that was killed before it could clean up.
if (process.getuid?.() === 0) sweepAbandonedLabs();
