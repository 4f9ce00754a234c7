import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { InterfaceEvent } from "../../machines/interface.js";
import { interfaceConfigSchema } from "../../src/config/schema.js";
import type { IpRunner } from "../../src/linux/ip.js";
import { silentLogger } from "../../src/log.js";
import { PropertyTable } from "../../src/properties/property-table.js";
import type { DaemonContext, DaemonDependencies } from "../../src/technologies/daemon.js";
import {
  BUILTIN_TECHNOLOGIES,
  builtinPlanner,
  daemonStarters,
  technologyPlanner,
} from "../../src/technologies/index.js";
import { connectRetryDelay } from "../../src/technologies/mobile/backoff.js";
import {
  type ModemProvider,
  type ModemSession,
  mobileTechnology,
} from "../../src/technologies/mobile/index.js";
import type { MobileDaemonSpec } from "../../src/technologies/mobile/plan.js";
import { parseReportedSettings } from "../../src/technologies/mobile/reported-settings.js";
import { parseCsq, signalFromAsu } from "../../src/technologies/mobile/signal.js";
import { registerTechnologies } from "../../src/technologies/registry.js";
import { fakeRunner } from "../support/fake-runner.js";
import { waitUntil } from "../support/wait.js";

const NETDEV = { provider: "netdev", connect: [["qmi-connect", "{apn}"]] };

function issues(config: unknown): Array<[string, string]> {
  const result = interfaceConfigSchema.safeParse(config);
  return result.success ? [] : result.error.issues.map((i) => [i.path.join("."), i.message]);
}

describe("mobile config", () => {
  it("requires a service provider with an APN, naming the field", () => {
    expect(issues({ type: "mobile", mobile: { modem: NETDEV } })).toEqual([
      ["mobile.serviceProviders", "required: a list with the carrier's apn"],
    ]);
    expect(issues({ type: "mobile", mobile: { serviceProviders: [], modem: NETDEV } })).toEqual([
      ["mobile.serviceProviders", "required: at least one service provider with an apn"],
    ]);
    expect(issues({ type: "mobile", mobile: { serviceProviders: [{}], modem: NETDEV } })).toEqual([
      ["mobile.serviceProviders.0.apn", "required: the access point name your carrier gives"],
    ]);
    expect(
      issues({ type: "mobile", mobile: { serviceProviders: [{ apn: "x\ny" }], modem: NETDEV } }),
    ).toEqual([
      [
        "mobile.serviceProviders.0.apn",
        "must be an access point name: letters, digits, - and _ in dot-separated labels",
      ],
    ]);
  });

  it("names an unknown provider and the modem's own bad fields", () => {
    const sp = [{ apn: "internet" }];
    expect(
      issues({ type: "mobile", mobile: { serviceProviders: sp, modem: { provider: "x" } } }),
    ).toEqual([
      ["mobile.modem.provider", 'unknown modem provider "x"; must be one of netdev, ppp'],
    ]);
    expect(
      issues({
        type: "mobile",
        mobile: {
          serviceProviders: sp,
          modem: { provider: "netdev", connect: [[]], addressing: "ppp", commandTimeoutMs: 5 },
        },
      }),
    ).toEqual([
      ["mobile.modem.connect.0", "must name a program"],
      ["mobile.modem.addressing", "must be dhcp or reported"],
      ["mobile.modem.commandTimeoutMs", "must be at least 100 ms"],
    ]);
    expect(
      issues({ type: "mobile", mobile: { serviceProviders: sp, modem: { provider: "netdev" } } }),
    ).toEqual([["mobile.modem.connect", "required: the commands that start the data connection"]]);
    expect(
      issues({
        type: "mobile",
        mobile: {
          serviceProviders: sp,
          modem: NETDEV,
          retryDelayMs: 5_000,
          maxRetryDelayMs: 1_000,
        },
      }),
    ).toEqual([["mobile.maxRetryDelayMs", "must be at least retryDelayMs (5000)"]]);
  });

  it("fills in the defaults", () => {
    const config = interfaceConfigSchema.parse({
      type: "mobile",
      mobile: { serviceProviders: [{ apn: "internet.example" }], modem: NETDEV },
    });
    expect(config).toEqual({
      type: "mobile",
      mobile: {
        serviceProviders: [{ apn: "internet.example" }],
        modem: { ...NETDEV, disconnect: [], addressing: "dhcp", commandTimeoutMs: 30_000 },
        retryDelayMs: 2_000,
        maxRetryDelayMs: 60_000,
      },
    });
  });
});

describe("mobile plan", () => {
  const config = interfaceConfigSchema.parse({
    type: "mobile",
    mobile: { serviceProviders: [{ apn: "first" }, { apn: "second" }], modem: NETDEV },
  });

  it("brings the link up bare and keeps the modem connected with its first provider's APN", () => {
    const plan = builtinPlanner("wwan0", config);
    expect(plan.up.at(-1)).toEqual({ kind: "ipv4_addresses", ifname: "wwan0", addresses: [] });
    expect(plan.up).toContainEqual({ kind: "ip", args: ["link", "set", "wwan0", "up"] });
    expect(plan.daemons).toEqual([
      {
        kind: "mobile",
        ifname: "wwan0",
        modem: expect.objectContaining({ provider: "netdev" }),
        serviceProvider: { apn: "first" },
        retryDelayMs: 2_000,
        maxRetryDelayMs: 60_000,
      },
    ]);
    expect(plan.reaches).toBe("internet");
    expect(plan.routeClass).toBe("mobile");
    expect(plan.staticIpv4).toBeUndefined();
  });

  it("ranks as configured when routeType says so (a modem that shows up as usb0)", () => {
    const usbModem = interfaceConfigSchema.parse({
      type: "mobile",
      mobile: { serviceProviders: [{ apn: "first" }], modem: NETDEV },
      routeType: "ethernet",
    });
    expect(builtinPlanner("usb0", usbModem).routeClass).toBe("ethernet");
    expect(builtinPlanner("usb0", config).routeClass).toBe("mobile");
  });
});

describe("reported raw-IP settings", () => {
  it("reads key=value lines among a tool's chatter", () => {
    expect(
      parseReportedSettings(
        "[/dev/cdc-wdm0] Current settings:\naddress=203.0.113.10/30\ngateway=203.0.113.9\ndns=198.51.100.53, 198.51.100.54\n",
      ),
    ).toEqual({
      addresses: [{ address: "203.0.113.10", prefixLength: 30 }],
      gateway: "203.0.113.9",
      nameServers: ["198.51.100.53", "198.51.100.54"],
      domain: undefined,
    });
    expect(parseReportedSettings("address=203.0.113.10/32").gateway).toBeUndefined();
  });

  it("refuses what cannot be configured, saying what", () => {
    expect(() => parseReportedSettings("connected\n")).toThrow("no address= line");
    expect(() => parseReportedSettings("address=203.0.113.10")).toThrow("address/prefix length");
    expect(() => parseReportedSettings("address=203.0.113.10/33")).toThrow("address/prefix length");
    expect(() => parseReportedSettings("address=203.0.113.10/30\ngateway=198.51.100.1")).toThrow(
      "gateway 198.51.100.1 must be on the interface's subnet",
    );
    expect(() => parseReportedSettings("address=203.0.113.10/30\ndns=resolver")).toThrow(
      "dns resolver is not an IPv4 address",
    );
  });
});

describe("connect retry delay", () => {
  it("doubles from the first delay up to the cap", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => connectRetryDelay(n, 2_000, 20_000))).toEqual([
      2_000, 4_000, 8_000, 16_000, 20_000, 20_000,
    ]);
    expect(connectRetryDelay(10_000, 2_000, 60_000)).toBe(60_000);
  });
});

describe("signal strength from AT+CSQ", () => {
  it("converts ASU to dBm and bars, 99 as unknown", () => {
    expect(parseCsq("\r\n+CSQ: 20,99\r\n\r\nOK\r\n")).toEqual({ asu: 20, dbm: -73, bars: 4 });
    expect(signalFromAsu(9)).toEqual({ asu: 9, dbm: -95, bars: 1 });
    expect(signalFromAsu(14).bars).toBe(2);
    expect(signalFromAsu(19).bars).toBe(3);
    expect(signalFromAsu(31)).toEqual({ asu: 31, dbm: -53, bars: 4 });
    expect(signalFromAsu(99)).toEqual({ asu: 99, dbm: -113, bars: 0 });
    expect(parseCsq("ERROR")).toBeUndefined();
  });
});

/** A modem that a test drives: fails its first connects, then reports an address. */
function scriptedProvider(failures: number) {
  const sessions: ModemSession<{ provider: "scripted"; device: string }>[] = [];
  let disconnects = 0;
  const provider: ModemProvider<{ provider: "scripted"; device: string }> = {
    name: "scripted",
    schema: z.strictObject({
      provider: z.literal("scripted"),
      device: z.string().startsWith("/dev/", "must be a device path"),
    }),
    async connect(session) {
      sessions.push(session);
      if (sessions.length <= failures) throw new Error(`no network on ${session.options.device}`);
      session.publish("network", "Lab Mobile");
      return {
        addressing: "reported",
        settings: { addresses: [{ address: "203.0.113.10", prefixLength: 30 }], nameServers: [] },
      };
    },
    async disconnect() {
      disconnects += 1;
    },
  };
  return { provider, sessions, disconnects: () => disconnects };
}

describe("a modem provider passed in", () => {
  it("is validated by its own schema beside the built-in ones; a name is taken once", () => {
    const { provider } = scriptedProvider(0);
    const technology = mobileTechnology({ providers: [provider as unknown as ModemProvider] });
    const parse = (modem: unknown) =>
      technology.schema.safeParse({
        type: "mobile",
        mobile: { serviceProviders: [{ apn: "lab" }], modem },
      });
    expect(parse({ provider: "scripted", device: "/dev/cdc-wdm0" }).success).toBe(true);
    expect(parse(NETDEV).success).toBe(true);
    expect(
      parse({ provider: "scripted", device: "cdc-wdm0" }).error?.issues.map((i) => [
        i.path.join("."),
        i.message,
      ]),
    ).toEqual([["mobile.modem.device", "must be a device path"]]);
    expect(() =>
      mobileTechnology({
        providers: [{ ...provider, name: "netdev" } as unknown as ModemProvider],
      }),
    ).toThrow('modem provider "netdev" is registered twice');
  });

  it("registers under a type of its own beside the built-in mobile technology", () => {
    const { provider } = scriptedProvider(0);
    const lte = mobileTechnology({
      type: "lte",
      providers: [provider as unknown as ModemProvider],
    });
    const all = registerTechnologies(BUILTIN_TECHNOLOGIES, [lte]);
    const config = lte.schema.parse({
      type: "lte",
      mobile: {
        serviceProviders: [{ apn: "lab" }],
        modem: { provider: "scripted", device: "/dev/x" },
      },
    });
    const plan = technologyPlanner(all)("wwan1", config);
    expect(plan.daemons).toEqual([expect.objectContaining({ kind: "lte", ifname: "wwan1" })]);
    expect(plan.routeClass).toBe("mobile");
    expect(daemonStarters(all).has("lte")).toBe(true);
    expect(daemonStarters(all).has("mobile")).toBe(true);
  });

  it("is retried until it connects, its error and state published, then hung up on stop", async () => {
    const scripted = scriptedProvider(2);
    const technology = mobileTechnology({
      providers: [scripted.provider as unknown as ModemProvider],
    });
    const properties = new PropertyTable();
    const batches: string[][] = [];
    const ip: IpRunner = {
      netns: undefined,
      json: async <T>() => [] as T,
      batch: async (lines) => {
        batches.push([...lines]);
      },
    };
    const events: InterfaceEvent[] = [];
    const states: unknown[] = [];
    properties.subscribe(["interface", "wwan0", "mobile", "state"], (change) => {
      states.push(change.new);
    });
    const context = {
      dependencies: {
        ip,
        runner: fakeRunner(async () => ({ stdout: "", stderr: "" })),
        properties,
        logger: silentLogger(),
        commandTimeoutMs: 1_000,
      } as Partial<DaemonDependencies> as DaemonDependencies,
      sendBack: (event: InterfaceEvent) => events.push(event),
      isStopped: () => false,
      renewOthers: () => {},
    } satisfies DaemonContext;
    const spec: MobileDaemonSpec = {
      kind: "mobile",
      ifname: "wwan0",
      modem: { provider: "scripted", device: "/dev/cdc-wdm0" },
      serviceProvider: { apn: "lab" },
      retryDelayMs: 10,
      maxRetryDelayMs: 20,
    };
    const start = technology.daemons?.mobile as unknown as (
      spec: MobileDaemonSpec,
      context: DaemonContext,
    ) => { stop(): Promise<void> };
    const daemon = start(spec, context);
    await waitUntil("the reported address", () => events.length > 0, 5_000);
    expect(events).toEqual([
      {
        type: "ipv4.updated",
        settings: { addresses: [{ address: "203.0.113.10", prefixLength: 30 }], nameServers: [] },
      },
    ]);
    expect(batches.flat().join("\n")).toContain("addr replace 203.0.113.10/30");
    expect(scripted.sessions.map((session) => session.serviceProvider.apn)).toEqual([
      "lab",
      "lab",
      "lab",
    ]);
    expect(states).toEqual([
      "connecting",
      "retrying",
      "connecting",
      "retrying",
      "connecting",
      "connected",
    ]);
    expect(properties.get(["interface", "wwan0", "mobile", "last_error"])).toBeUndefined();
    expect(properties.get(["interface", "wwan0", "mobile", "network"])).toBe("Lab Mobile");
    await daemon.stop();
    expect(scripted.disconnects()).toBe(1);
    expect(properties.getByPrefix(["interface", "wwan0", "mobile"])).toEqual([]);
  });
});
