import { afterAll, beforeAll, expect, it } from "vitest";
import { Lab } from "../../lab/namespace-lab.js";
import type { UnmanagedDefaultRoute } from "../../machines/route-manager.js";
import { type LabManager, startLabManager } from "../support/lab-manager.js";
import { describeAsRoot } from "../support/root.js";
import { waitUntil } from "../support/wait.js";

/**
 * Someone else's default routes, added or removed while statenet runs, are
 * seen at once (its route monitor), not at the next resynchronisation: one
 * on an interface statenet does not manage is reported, one on an interface
 * it manages is removed.
 */
describeAsRoot("foreign default routes while statenet runs", () => {
  let lab: Lab;
  let running: LabManager | undefined;

  beforeAll(async () => {
    lab = await Lab.create({ uplinks: ["eth0", "wlan0"] });
    const eth0 = lab.uplink("eth0");
    running = await startLabManager(lab, {
      interfaces: {
        eth0: {
          type: "ethernet",
          ipv4: {
            method: "static",
            address: eth0.deviceAddress,
            prefixLength: 24,
            gateway: eth0.routerAddress,
          },
        },
      },
    });
    await waitUntil("eth0's default route", () =>
      (running?.manager.get(["available_interfaces"]) as string[] | undefined)?.includes("eth0"),
    );
  });

  afterAll(async () => {
    await running?.stop();
    await lab?.teardown();
  });

  const ip = (args: string[]) => lab.exec(lab.deviceNs, "ip", args);
  const unmanaged = () =>
    running?.manager.get(["unmanaged_default_routes"]) as UnmanagedDefaultRoute[] | undefined;
  const mainDefaults = async () =>
    (await ip(["-4", "route", "show", "default", "table", "main"])).stdout;

  it("reports one added on an interface it does not manage, and that it outranks its own", async () => {
    const wlan0 = lab.uplink("wlan0");
    await ip(["addr", "replace", `${wlan0.deviceAddress}/24`, "dev", "wlan0"]);
    await ip([
      "route",
      "add",
      "default",
      "via",
      wlan0.routerAddress,
      "dev",
      "wlan0",
      "metric",
      "1",
    ]);
    const reported = await waitUntil("the route reported", unmanaged);
    expect(reported).toEqual([
      { ifname: "wlan0", gateway: wlan0.routerAddress, metric: 1, outranks: true },
    ]);
    expect(await mainDefaults()).toContain(`default via ${wlan0.routerAddress} dev wlan0`);
  });

  it("forgets it once it is gone", async () => {
    const wlan0 = lab.uplink("wlan0");
    await ip([
      "route",
      "del",
      "default",
      "via",
      wlan0.routerAddress,
      "dev",
      "wlan0",
      "metric",
      "1",
    ]);
    await waitUntil("the report cleared", () => unmanaged() === undefined);
  });

  it("removes one added on an interface it manages", async () => {
    const eth0 = lab.uplink("eth0");
    await ip([
      "route",
      "add",
      "default",
      "via",
      eth0.routerAddress,
      "dev",
      "eth0",
      "proto",
      "dhcp",
      "metric",
      "7",
    ]);
    await waitUntil(
      "the stale route removed",
      async () => !/proto dhcp/.test(await mainDefaults()),
    );
    expect(await mainDefaults()).toContain(`default via ${eth0.routerAddress} dev eth0`);
  });
});
