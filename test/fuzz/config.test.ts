import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfigFile } from "../../src/cli/config-file.js";
import { isDnsName } from "../../src/config/dns-name.js";
import type { Config, InterfaceConfig } from "../../src/config/schema.js";
import { ConfigError, parseConfig, parseInterfaceConfig } from "../../src/config/validate.js";
import { isInterfaceName } from "../../src/linux/interface-name.js";
import { isIpv4Address } from "../../src/route/ipv4.js";
import {
  anyText,
  deepJsonText,
  mutatedJson,
  mutatedText,
  oddJsonValue,
  parsedOrRejected,
  RUNS,
} from "./arbitraries.js";

/**
 * The configuration file and `configure` requests are written by people.
 * Contract: parseConfig / parseInterfaceConfig return a configuration whose
 * values hold what the schema promises, with every interface the input
 * named, or throw ConfigError naming each bad field; readConfigFile turns
 * any file content into a Config or a ConfigError.
 */

const ETH0 = {
  type: "ethernet",
  ipv4: {
    method: "static",
    address: "198.51.100.10",
    prefixLength: 24,
    gateway: "198.51.100.1",
    nameServers: ["198.51.100.1"],
    domain: "lab.test",
  },
  connectivity: { intervalMs: 1_000, recoveryChecks: 3, holdDownBaseMs: 0, holdDownMaxMs: 10 },
};
const ETH1 = {
  type: "ethernet",
  ipv4: { method: "dhcp", hostname: "device" },
  ieee8021x: {
    eap: "peap",
    identity: "user",
    password: "secret",
    caCert: "/etc/ca.pem",
    serverDomain: "radius.test",
  },
};
const SAMPLE = {
  interfaces: { eth0: ETH0, eth1: ETH1, usb0: { type: "null" } },
  internetHosts: [{ host: "203.0.113.53", port: 53 }],
  powerManagers: {
    wwan0: { commands: { powerOn: ["/bin/on"], powerOff: ["/bin/off"] }, petWhen: "lan" },
  },
  additionalNameServers: ["203.0.113.53"],
  resolvConf: "/var/run/statenet/resolv.conf",
  stateDir: "/var/lib/statenet",
  tmpDir: "/var/run/statenet",
};

const configInput = fc.oneof(mutatedJson([SAMPLE]), mutatedJson([SAMPLE]), oddJsonValue);
const interfaceInput = fc.oneof(mutatedJson([ETH0, ETH1, { type: "null" }]), oddJsonValue);

function expectSaneInterface(config: InterfaceConfig): void {
  expect(["ethernet", "null"]).toContain(config.type);
  if (config.type !== "ethernet") return;
  const { ipv4 } = config;
  if (ipv4.method === "static") {
    expect(isIpv4Address(ipv4.address)).toBe(true);
    expect(
      Number.isInteger(ipv4.prefixLength) && ipv4.prefixLength >= 0 && ipv4.prefixLength <= 32,
    ).toBe(true);
    for (const address of [ipv4.gateway ?? "192.0.2.1", ...(ipv4.nameServers ?? [])]) {
      expect(isIpv4Address(address)).toBe(true);
    }
    if (ipv4.domain !== undefined) expect(isDnsName(ipv4.domain)).toBe(true);
  } else if (ipv4.method === "dhcp" && ipv4.hostname !== undefined) {
    expect(isDnsName(ipv4.hostname)).toBe(true);
  }
  for (const value of Object.values(config.connectivity ?? {})) {
    expect(Number.isSafeInteger(value) && value >= 0).toBe(true);
  }
}

/** Every interface the input named is in the result, under a name Linux accepts. */
function expectSaneConfig(input: unknown, config: Config): void {
  for (const field of ["interfaces", "powerManagers"] as const) {
    const named = (input as Record<string, object | undefined>)[field] ?? {};
    expect(Object.keys(config[field]).sort()).toEqual(Reflect.ownKeys(named).sort());
    for (const ifname of Object.keys(config[field])) expect(isInterfaceName(ifname)).toBe(true);
  }
  for (const interfaceConfig of Object.values(config.interfaces))
    expectSaneInterface(interfaceConfig);
  for (const { port } of config.internetHosts) {
    expect(Number.isInteger(port) && port >= 1 && port <= 65_535).toBe(true);
  }
  for (const address of config.additionalNameServers) expect(isIpv4Address(address)).toBe(true);
  for (const path of [config.resolvConf, config.stateDir, config.tmpDir])
    expect(path.startsWith("/")).toBe(true);
}

function expectNamedProblems(error: unknown): void {
  if (!(error instanceof ConfigError)) return;
  expect(error.problems.length).toBeGreaterThan(0);
  for (const problem of error.problems) {
    expect(typeof problem.path).toBe("string");
    expect(problem.message).not.toBe("");
  }
}

describe("parseConfig (fuzzed)", () => {
  it("returns a sane configuration naming every interface, or a ConfigError, for any JSON", () => {
    fc.assert(
      fc.property(configInput, (input) => {
        const config = parsedOrRejected(() => parseConfig(input), ConfigError);
        if (config) expectSaneConfig(input, config);
        else expectNamedProblems(catchError(() => parseConfig(input)));
      }),
      { numRuns: RUNS.many },
    );
  });

  it("refuses an interface JavaScript objects cannot hold as a key", () => {
    const input = JSON.parse('{"interfaces":{"__proto__":{"type":"bogus"}}}');
    expect(catchError(() => parseConfig(input))).toBeInstanceOf(ConfigError);
  });
});

describe("parseInterfaceConfig (fuzzed)", () => {
  it("returns a sane interface configuration or a ConfigError for any JSON", () => {
    fc.assert(
      fc.property(interfaceInput, (input) => {
        const config = parsedOrRejected(() => parseInterfaceConfig("eth0", input), ConfigError);
        if (config) expectSaneInterface(config);
      }),
      { numRuns: RUNS.many },
    );
  });
});

describe("readConfigFile (fuzzed)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "statenet-fuzz-config-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads any file content as a Config or a ConfigError", async () => {
    const path = () => join(dir, "statenet.json");
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          anyText,
          mutatedText([JSON.stringify(SAMPLE, null, 2)]),
          deepJsonText([
            ["", ""],
            ['{"interfaces":{"eth0":', "}}"],
          ]),
          fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
        ),
        async (content) => {
          await writeFile(path(), content);
          const config = await readConfigFile(path()).catch((error: unknown) => {
            if (!(error instanceof ConfigError)) throw error;
            return undefined;
          });
          if (config) expectSaneConfig(JSON.parse(content), config);
        },
      ),
      { numRuns: RUNS.some },
    );
  }, 30_000);
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}
