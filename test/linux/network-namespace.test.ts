import { expect, it } from "vitest";
import { Lab } from "../../lab/namespace-lab.js";
import { createIpRunner } from "../../src/linux/ip.js";
import {
  InitialNamespaceRefusedError,
  inInitialNetworkNamespace,
} from "../../src/linux/network-namespace.js";
import { describeAsRoot } from "../support/root.js";

it.runIf(inInitialNetworkNamespace())(
  "refuses to run a batch in the machine's own namespace while tests run",
  async () => {
    // A harmless line: were the guard broken, ip would fail with its own error instead.
    await expect(createIpRunner().batch(["link show dev sn-no-such-link"])).rejects.toBeInstanceOf(
      InitialNamespaceRefusedError,
    );
  },
);

describeAsRoot("namespace detection inside `ip netns exec`", () => {
  it("knows a named namespace is not the initial one, even where pid 1's namespace is unreadable", async () => {
    const lab = await Lab.create({ uplinks: ["eth0"] });
    try {
      const probe = `import("${new URL("../../src/linux/network-namespace.ts", import.meta.url).pathname}").then((m) => console.log(m.inInitialNetworkNamespace()))`;
      const { stdout } = await lab.exec(lab.deviceNs, process.execPath, [
        "--import",
        "tsx",
        "-e",
        probe,
      ]);
      expect(stdout.trim()).toBe("false");
    } finally {
      await lab.teardown();
    }
  });
});
