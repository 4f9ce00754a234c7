import { execFileSync } from "node:child_process";
import { expect, it } from "vitest";
import { Lab, sweepAbandonedLabs } from "../../lab/namespace-lab.js";
import { describeAsRoot } from "../support/root.js";

const namespaces = () => execFileSync("ip", ["netns", "list"], { encoding: "utf8" });

describeAsRoot("namespace labs", () => {
  it("sweeps labs whose process is gone and leaves live ones alone", async () => {
    // Pid 4194304 is above Linux's pid_max limit, so no process can own it.
    const abandoned = `sn-${(4_194_304).toString(36)}-beef-1-dev`;
    execFileSync("ip", ["netns", "add", abandoned]);
    const live = await Lab.create({ uplinks: ["eth0"] });
    try {
      expect(sweepAbandonedLabs()).toContain(abandoned);
      expect(namespaces()).not.toContain(abandoned);
      expect(namespaces()).toContain(live.deviceNs);
    } finally {
      await live.teardown();
      execFileSync("sh", ["-c", `ip netns del ${abandoned} 2>/dev/null || true`]);
    }
    expect(namespaces()).not.toContain(live.deviceNs);
  });
});
