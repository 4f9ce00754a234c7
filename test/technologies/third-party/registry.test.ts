import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { configJsonSchema } from "../../../src/config/json-schema.js";
import { ConfigError, parseConfig, parseInterfaceConfig } from "../../../src/config/validate.js";
import { startUdhcpcDaemon } from "../../../src/dhcp/udhcpc-daemon.js";
import { createNetworkManager } from "../../../src/network-manager.js";
import { ConfigStore } from "../../../src/persistence/config-store.js";
import {
  defineTechnology,
  ipv4Daemons,
  ipv4LinkPlan,
  ipv4Schema,
} from "../../../src/technologies/authoring.js";
import { BUILTIN_TECHNOLOGIES } from "../../../src/technologies/builtin.js";
import {
  daemonStarters,
  InvalidTechnologyError,
  registerTechnologies,
  TechnologyClashError,
  technologyPlanner,
} from "../../../src/technologies/registry.js";

/** A third party's technology, made of the pieces statenet exports for authors. */
const tunnelSchema = z.strictObject({
  type: z.literal("tunnel"),
  remote: z.ipv4({ error: "must be an IPv4 address" }),
  ipv4: ipv4Schema,
});
const tunnel = defineTechnology({
  type: "tunnel",
  schema: tunnelSchema,
  plan: (ifname, config) => {
    const { dhcpClient, ...link } = ipv4LinkPlan(ifname, config.ipv4);
    return {
      ...link,
      up: [
        { kind: "ip", args: ["link", "add", ifname, "type", "gre", "remote", config.remote] },
        ...link.up,
      ],
      files: [],
      daemons: dhcpClient,
      routeClass: "unknown",
    };
  },
  daemons: ipv4Daemons,
});

const TUNNEL = {
  type: "tunnel",
  remote: "203.0.113.9",
  ipv4: { method: "static", address: "198.51.100.2", prefixLength: 30 },
} as const;

const problemsOf = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("no ConfigError");
};

describe("registering technologies", () => {
  it("puts the registered ones after the built-in ones; none registered is the built-in list itself", () => {
    const all = registerTechnologies(BUILTIN_TECHNOLOGIES, [tunnel]);
    expect(all.map(({ type }) => type)).toEqual([
      ...BUILTIN_TECHNOLOGIES.map(({ type }) => type),
      "tunnel",
    ]);
    expect(registerTechnologies(BUILTIN_TECHNOLOGIES, [])).toBe(BUILTIN_TECHNOLOGIES);
    expect(technologyPlanner(all)("gre1", parseInterfaceConfig("gre1", TUNNEL, all)).up[0]).toEqual(
      { kind: "ip", args: ["link", "add", "gre1", "type", "gre", "remote", "203.0.113.9"] },
    );
  });

  it("refuses a type a built-in technology has, naming the field", () => {
    const impostor = {
      ...tunnel,
      type: "ethernet",
      schema: z.object({ type: z.literal("ethernet") }),
    };
    const error = catchError(() => registerTechnologies(BUILTIN_TECHNOLOGIES, [impostor]));
    expect(error).toBeInstanceOf(TechnologyClashError);
    expect(error).toMatchObject({ field: "technologies[0].type" });
    expect(error.message).toContain("a built-in technology");
  });

  it("refuses a type another registered technology has", () => {
    const error = catchError(() => registerTechnologies(BUILTIN_TECHNOLOGIES, [tunnel, tunnel]));
    expect(error).toBeInstanceOf(TechnologyClashError);
    expect(error.message).toBe('technologies[1].type: "tunnel" is taken by technologies[0]');
  });

  it("lets technologies share a daemon kind through the same starter, not two of them", () => {
    const shared = { ...tunnel, daemons: { udhcpc: startUdhcpcDaemon } };
    expect(daemonStarters(registerTechnologies(BUILTIN_TECHNOLOGIES, [shared])).get("udhcpc")).toBe(
      startUdhcpcDaemon,
    );
    const own = { ...tunnel, daemons: { udhcpc: () => ({ stop: async () => {} }) } };
    const error = catchError(() => registerTechnologies(BUILTIN_TECHNOLOGIES, [own]));
    expect(error).toBeInstanceOf(TechnologyClashError);
    expect(error).toMatchObject({ field: "technologies[0].daemons.udhcpc" });
    expect(error.message).toContain('daemon kind "udhcpc" is started by technology "ethernet"');
  });

  it.each([
    ["not an object", "bridge", "technologies[0]"],
    ["a type that is no name", { ...tunnel, type: "Tunnel 1" }, "technologies[0].type"],
    ["a schema that is not zod's", { ...tunnel, schema: { parse() {} } }, "technologies[0].schema"],
    [
      "a schema whose type is another",
      { ...tunnel, schema: z.object({ type: z.literal("gre") }) },
      "technologies[0].schema",
    ],
    [
      "a schema without a literal type",
      { ...tunnel, schema: z.object({ type: z.string() }) },
      "technologies[0].schema",
    ],
    ["a plan that is no function", { ...tunnel, plan: {} }, "technologies[0].plan"],
    ["daemons that are no object", { ...tunnel, daemons: [1] }, "technologies[0].daemons.0"],
    [
      "a starter that is no function",
      { ...tunnel, daemons: { x: 1 } },
      "technologies[0].daemons.x",
    ],
  ])("refuses %s, naming the field", (_, technology, field) => {
    const error = catchError(() => registerTechnologies(BUILTIN_TECHNOLOGIES, [technology]));
    expect(error).toBeInstanceOf(InvalidTechnologyError);
    expect(error).toMatchObject({ field });
  });

  it("makes createNetworkManager throw those errors before anything runs", () => {
    expect(() => createNetworkManager({ config: {}, technologies: [tunnel, tunnel] })).toThrow(
      TechnologyClashError,
    );
    expect(() =>
      createNetworkManager({ config: {}, technologies: [{ ...tunnel, plan: undefined } as never] }),
    ).toThrow(InvalidTechnologyError);
  });
});

describe("configurations of registered technologies", () => {
  const all = registerTechnologies(BUILTIN_TECHNOLOGIES, [tunnel]);

  it("are validated by their schema in the file, errors naming the field", () => {
    const file = { interfaces: { gre1: { ...TUNNEL, remote: "far away" } } };
    expect(problemsOf(() => parseConfig(file, all))).toEqual([
      { path: "interfaces.gre1.remote", message: "must be an IPv4 address" },
    ]);
    expect(parseConfig({ interfaces: { gre1: TUNNEL } }, all).interfaces.gre1).toEqual(TUNNEL);
  });

  it("are unknown to the built-in schema, which lists the registered types of the manager's", () => {
    expect(problemsOf(() => parseConfig({ interfaces: { gre1: TUNNEL } }))).toEqual([
      {
        path: "interfaces.gre1.type",
        message: expect.stringMatching(/^unknown technology; must be one of ethernet, .*null$/),
      },
    ]);
    expect(
      problemsOf(() => parseInterfaceConfig("gre1", { type: "vlan" }, all))[0]?.message,
    ).toMatch(/null, tunnel$/);
  });

  it("are refused by configure() naming the field, and kept by it when valid", async () => {
    const manager = createNetworkManager({
      config: { internetHosts: [] },
      technologies: [tunnel],
      persistence: null,
    });
    // Refused at once, before anything is queued.
    expect(
      // @ts-expect-error: no address, refused at run time
      problemsOf(() => manager.configure("gre1", { ...TUNNEL, ipv4: { method: "static" } })),
    ).toEqual([{ path: "interfaces.gre1.ipv4.address", message: expect.any(String) }]);
    await manager.configure("gre1", TUNNEL, { persist: false });
    expect(manager.getConfiguration("gre1")).toEqual(TUNNEL);
    expect(manager.configuredInterfaces()).toEqual(["gre1"]);
  });

  it("are in the JSON schema of the manager's technologies", () => {
    expect(JSON.stringify(configJsonSchema(all))).toContain('"tunnel"');
    expect(JSON.stringify(configJsonSchema())).not.toContain('"tunnel"');
  });
});

describe("saved configurations of registered technologies", () => {
  let dir: string;
  const key = randomBytes(32);
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "statenet-third-party-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("load like built-in ones; one whose technology is gone is reported by interface and kept", async () => {
    const all = registerTechnologies(BUILTIN_TECHNOLOGIES, [tunnel]);
    const ethernet = { type: "ethernet", ipv4: { method: "dhcp" } } as const;
    const withTunnel = new ConfigStore({ dir, key, technologies: all });
    await withTunnel.save("gre1", parseInterfaceConfig("gre1", TUNNEL, all));
    await withTunnel.save("eth0", ethernet);
    expect((await withTunnel.loadAll()).configs.gre1?.config).toEqual(TUNNEL);

    const without = await new ConfigStore({ dir, key }).loadAll();
    expect(without.configs).toEqual({ eth0: { config: ethernet, savedAt: expect.any(String) } });
    expect(without.problems).toEqual([
      {
        ifname: "gre1",
        message: expect.stringContaining('gre1 is of technology "tunnel", which is not registered'),
        movedTo: join(dir, "gre1.config"),
        kept: true,
      },
    ]);
    // Registered again, the technology finds its configuration where it was.
    expect((await readdir(dir)).sort()).toEqual(["eth0.config", "gre1.config"]);
    expect((await withTunnel.loadAll()).configs.gre1?.config).toEqual(TUNNEL);
  });
});

function catchError(work: () => unknown): Error {
  try {
    work();
  } catch (error) {
    return error as Error;
  }
  throw new Error("nothing thrown");
}
