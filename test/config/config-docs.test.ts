import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GENERATED_PATH, generateConfigDocs } from "../../scripts/config-docs.js";
import { CONFIG_DESCRIPTIONS } from "../../src/config/config-input.generated.js";
import { addDescriptions, configJsonSchema } from "../../src/config/json-schema.js";
import { ConfigError, parseConfig } from "../../src/config/validate.js";

type Node = {
  description?: string;
  properties: Record<string, Node>;
  additionalProperties: Node;
  items: Node;
  oneOf: Node[];
  anyOf: Node[];
};

describe("the config fields' docs (their JSDoc, the single source)", () => {
  it("are committed up to date as interfaces and descriptions (npm run schema writes them)", () => {
    const committed = readFileSync(new URL(`../../${GENERATED_PATH}`, import.meta.url), "utf8");
    expect(generateConfigDocs()).toBe(committed);
  }, 60_000);

  it("each reach a field of the JSON Schema", () => {
    expect(addDescriptions(configJsonSchema(), CONFIG_DESCRIPTIONS)).toEqual([]);
    expect(Object.keys(CONFIG_DESCRIPTIONS).length).toBeGreaterThan(100);
  });

  it("are the JSON Schema's descriptions, in records, lists and unions too", () => {
    const schema = configJsonSchema() as Node;
    const power = schema.properties.powerManagers?.additionalProperties;
    expect(power?.properties.restartFirst?.description).toBe(
      CONFIG_DESCRIPTIONS["powerManagers.*.restartFirst"],
    );
    expect(power?.properties.restartFirst?.description).toMatch(/watchdog/);
    const interfaces = schema.properties.interfaces?.additionalProperties;
    const wifi = (interfaces?.oneOf ?? interfaces?.anyOf)?.find(
      (member) => (member.properties.type as { const?: string }).const === "wifi",
    );
    const networks = wifi?.properties.wifi?.properties.networks?.items;
    const psk = (networks?.oneOf ?? networks?.anyOf)?.find(
      (member) => (member.properties.keyMgmt as { const?: string }).const === "wpa_psk",
    );
    expect(psk?.properties.scanSsid?.description).toBe(
      CONFIG_DESCRIPTIONS["interfaces.*[type=wifi].wifi.networks[][keyMgmt=wpa_psk].scanSsid"],
    );
    expect(psk?.properties.scanSsid?.description).toMatch(/hidden/);
  });
});

describe("a top-level $schema", () => {
  it("is accepted and left out of the configuration", () => {
    const config = parseConfig({ $schema: "./statenet-config.schema.json", interfaces: {} });
    expect(config).not.toHaveProperty("$schema");
    expect(config.interfaces).toEqual({});
  });

  it("is allowed by the JSON Schema", () => {
    const { properties } = configJsonSchema() as { properties: Record<string, unknown> };
    expect(properties.$schema).toMatchObject({ type: "string" });
  });

  it("must be a string, and is unknown anywhere else", () => {
    expect(() => parseConfig({ $schema: 1 })).toThrow(ConfigError);
    expect(() =>
      parseConfig({
        interfaces: { eth0: { $schema: "x", type: "ethernet", ipv4: { method: "dhcp" } } },
      }),
    ).toThrow(/\$schema/);
  });
});
