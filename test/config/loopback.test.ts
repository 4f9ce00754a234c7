import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config/validate.js";
import { createNetworkManager } from "../../src/network-manager.js";

function problemsOf(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("no ConfigError");
}

describe("the loopback interface is never managed", () => {
  it.each([{ type: "null" }, { type: "ethernet", ipv4: { method: "dhcp" } }])(
    "refuses lo in the configuration file, naming it (%j)",
    (config) => {
      expect(problemsOf(() => parseConfig({ interfaces: { lo: config } }))).toEqual([
        { path: "interfaces.lo", message: "bad key: the loopback interface is never managed" },
      ]);
    },
  );

  it("refuses configuring lo at run time, naming it, before anything is queued", () => {
    const manager = createNetworkManager({ config: {}, persistence: null });
    expect(problemsOf(() => manager.configure("lo", { type: "null" }))).toEqual([
      { path: "interfaces.lo", message: "the loopback interface is never managed" },
    ]);
  });

  it("accepts names that only start like it", () => {
    const config = parseConfig({
      interfaces: { lo0: { type: "null" }, low: { type: "null" } },
    });
    expect(Object.keys(config.interfaces)).toEqual(["lo0", "low"]);
  });
});
