import { describe, expect, it } from "vitest";
import { MASK, maskSecrets } from "../src/secrets.js";

describe("maskSecrets", () => {
  it("masks secret fields at any depth and leaves the original alone", () => {
    const config = {
      interfaces: {
        wlan0: {
          type: "wifi",
          networks: [{ ssid: "lab", psk: "hunter22", eap: { password: "pw" } }],
        },
      },
      key: ["interface", "wlan0"],
    };
    const masked = maskSecrets(config);
    expect(masked.interfaces.wlan0.networks[0]).toEqual({
      ssid: "lab",
      psk: MASK,
      eap: { password: MASK },
    });
    expect(masked.key).toEqual(["interface", "wlan0"]);
    expect(config.interfaces.wlan0.networks[0]?.psk).toBe("hunter22");
    expect(JSON.stringify(masked)).not.toContain("hunter22");
  });

  it("keeps cycles and leaves class instances and missing secrets as they are", () => {
    const node: Record<string, unknown> = { name: "a", secret: undefined };
    node.self = node;
    const date = new Date(0);
    const masked = maskSecrets({ node, date });
    expect(masked.node.self).toBe(masked.node);
    expect(masked.node.secret).toBeUndefined();
    expect(masked.date).toBe(date);
  });
});
