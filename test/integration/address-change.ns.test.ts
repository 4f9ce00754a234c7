import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Lab } from "../../lab/namespace-lab.js";
import type { EthernetConfig } from "../../src/config/schema.js";
import { startLabManager } from "../support/lab-manager.js";
import { describeAsRoot } from "../support/root.js";
import { waitUntil } from "../support/wait.js";

const INTERNET_HOST = "203.0.113.53";

/** wlan0 static at `address` in the lab's 198.51.100.0/24. */
const wlan0At = (address: string): EthernetConfig => ({
  type: "ethernet",
  ipv4: { method: "static", address, prefixLength: 24, gateway: "198.51.100.1" },
});

describeAsRoot("a new address in the subnet of the old one", () => {
  let lab: Lab;
  let dir: string;

  beforeAll(async () => {
    lab = await Lab.create({ uplinks: ["eth0", "wlan0"] });
    dir = await mkdtemp(join(tmpdir(), "statenet-address-change-"));
  });

  afterAll(async () => {
    await lab?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const wlan0Addresses = async () =>
    (await lab.exec(lab.deviceNs, "ip", ["-4", "-brief", "addr", "show", "dev", "wlan0"])).stdout;

  it("a restart with another static address ends with that address and its routes", async () => {
    const first = await startLabManager(
      lab,
      { interfaces: { wlan0: wlan0At("198.51.100.77") } },
      {},
      dir,
    );
    await waitUntil(
      "routes from .77",
      async () =>
        (await lab.routeGet(INTERNET_HOST, "198.51.100.77").catch(() => undefined))?.dev ===
        "wlan0",
    );
    // Stopped, it leaves its address and routes for the next run to take over.
    await first.stop();
    const second = await startLabManager(
      lab,
      { interfaces: { wlan0: wlan0At("198.51.100.10") } },
      {},
      dir,
    );
    try {
      // .10 comes in as a secondary of .77's subnet, then .77 goes: .10 must be promoted,
      // not deleted along with the primary.
      await waitUntil(
        "routes from .10 and .77 gone",
        async () =>
          (await lab.routeGet(INTERNET_HOST, "198.51.100.10").catch(() => undefined))?.dev ===
            "wlan0" && !(await wlan0Addresses()).includes(".77"),
      );
      expect(await wlan0Addresses()).toContain("198.51.100.10/24");
      // Published once the manager's `ip` calls have returned, which may be after the kernel showed their effect.
      await waitUntil(
        "wlan0 configured",
        () => second.manager.get(["interface", "wlan0", "state"]) === "configured",
        2_000,
      );
    } finally {
      await second.stop();
    }
  });
});
