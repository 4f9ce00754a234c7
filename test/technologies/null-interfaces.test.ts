import { describe, expect, it } from "vitest";
import { createNetworkManager } from "../../src/network-manager.js";

describe("null interfaces are listed, not configured", () => {
  it("leaves them out of configuredInterfaces(), but they keep their configuration", () => {
    const manager = createNetworkManager({
      config: {
        interfaces: {
          wlan0: { type: "ethernet", ipv4: { method: "dhcp" } },
          usb0: { type: "null" },
          eth0: { type: "ethernet", ipv4: { method: "disabled" } },
        },
      },
      persistence: null,
    });
    expect(manager.configuredInterfaces()).toEqual(["eth0", "wlan0"]);
    expect(manager.getConfiguration("usb0")).toEqual({ type: "null" });
  });
});
