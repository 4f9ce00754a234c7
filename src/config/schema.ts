import { z } from "zod";
import { assertInterfaceName } from "../linux/interface-name.js";
import { isIpv4Address, isPrefixLength } from "../route/ipv4.js";
import { DNS_NAME } from "./dns-name.js";
import { gatewayProblem } from "./gateway.js";

/**
 * The configuration file and the runtime `configure(ifname, config)` input.
 * Everything is checked before anything is touched; errors name the path.
 */

const ipv4Address = z.ipv4({
  error: (issue) => `not an IPv4 address: ${JSON.stringify(issue.input)}`,
});

const interfaceName = z.string().check((context) => {
  try {
    assertInterfaceName(context.value);
  } catch (error) {
    context.issues.push({
      code: "custom",
      input: context.value,
      message: (error as Error).message,
    });
  }
});

const prefixLength = z
  .number()
  .int("must be an integer")
  .min(0, "must be 0..32")
  .max(32, "must be 0..32");

export const staticIpv4Schema = z
  .strictObject({
    method: z.literal("static"),
    address: ipv4Address,
    prefixLength,
    /** On the address's subnet: the kernel has no route to any other. */
    gateway: ipv4Address.optional(),
    nameServers: z.array(ipv4Address).optional(),
    domain: z.string().regex(DNS_NAME, "must be a domain name").optional(),
  })
  .check((context) => {
    const { address, prefixLength, gateway } = context.value;
    // A malformed field has its own issue already; the relation is only checked between good ones.
    if (gateway === undefined || !isIpv4Address(address) || !isIpv4Address(gateway)) return;
    if (!isPrefixLength(prefixLength)) return;
    const problem = gatewayProblem(address, prefixLength, gateway);
    if (problem) {
      context.issues.push({ code: "custom", input: gateway, path: ["gateway"], message: problem });
    }
  });

export const dhcpIpv4Schema = z.strictObject({
  method: z.literal("dhcp"),
  /** Sent to the DHCP server (option 12). */
  hostname: z.string().regex(DNS_NAME, "must be a host name").optional(),
});

export const disabledIpv4Schema = z.strictObject({ method: z.literal("disabled") });

const ipv4Schema = z.discriminatedUnion(
  "method",
  [staticIpv4Schema, dhcpIpv4Schema, disabledIpv4Schema],
  {
    error: (issue) =>
      issue.code === "invalid_union" ? "must be dhcp, static or disabled" : undefined,
  },
);

const milliseconds = (minimum: number) =>
  z
    .number()
    .int("must be an integer number of milliseconds")
    .min(minimum, `must be at least ${minimum} ms`)
    .max(86_400_000, "must be at most one day");

const count = (maximum: number) =>
  z
    .number()
    .int("must be an integer")
    .min(1, `must be 1..${maximum}`)
    .max(maximum, `must be 1..${maximum}`);

/** Overrides of the connectivity checker's timings (see DEFAULT_CONNECTIVITY). */
export const connectivitySchema = z
  .strictObject({
    intervalMs: milliseconds(100).optional(),
    timeoutMs: milliseconds(50).optional(),
    lanIntervalMs: milliseconds(100).optional(),
    recoveryIntervalMs: milliseconds(100).optional(),
    recoveryChecks: count(100).optional(),
    confirmProbes: count(10).optional(),
    holdDownBaseMs: milliseconds(0).optional(),
    holdDownMaxMs: milliseconds(0).optional(),
    dampingResetMs: milliseconds(0).optional(),
  })
  .check((context) => {
    const { holdDownBaseMs, holdDownMaxMs } = context.value;
    if (
      holdDownBaseMs !== undefined &&
      holdDownMaxMs !== undefined &&
      holdDownMaxMs < holdDownBaseMs
    ) {
      context.issues.push({
        code: "custom",
        input: holdDownMaxMs,
        path: ["holdDownMaxMs"],
        message: "must not be less than holdDownBaseMs",
      });
    }
  });

/**
 * A value wpa_supplicant reads from its config file. Written hex-encoded, so
 * quotes and spaces are fine; a NUL would end it early.
 */
const eapText = z
  .string()
  .min(1, "must not be empty")
  .refine((value) => Buffer.byteLength(value) <= 255, "must be at most 255 bytes")
  .refine((value) => !value.includes("\0"), "must not contain a NUL character");

/** A file wpa_supplicant opens (certificates, keys); checked when it starts. */
const eapFile = z.string().startsWith("/", "must be an absolute path").pipe(eapText);

/** The server's certificate must be checked, or anyone on the wire can ask for the password. */
const serverCheck = {
  /** The CA certificate (PEM) that signed the authentication server's certificate. */
  caCert: eapFile,
  /** Accept only a server certificate for this domain (or a subdomain of it). */
  serverDomain: z.string().regex(DNS_NAME, "must be a domain name").optional(),
};

export const eapMd5Schema = z.strictObject({
  eap: z.literal("md5"),
  identity: eapText,
  password: eapText,
});

/** PEAP with MSCHAPv2 inside: what most enterprise networks use with a user name and password. */
export const eapPeapSchema = z.strictObject({
  eap: z.literal("peap"),
  identity: eapText,
  /** Sent in the clear before the tunnel is up; the real identity goes inside it. */
  anonymousIdentity: eapText.optional(),
  password: eapText,
  ...serverCheck,
});

/** TTLS: a password inside a TLS tunnel, checked with MSCHAPv2 or PAP (eduroam and others). */
export const eapTtlsSchema = z.strictObject({
  eap: z.literal("ttls"),
  identity: eapText,
  anonymousIdentity: eapText.optional(),
  password: eapText,
  /** How the password is checked inside the tunnel. */
  phase2: z.enum(["mschapv2", "pap"], { error: "must be mschapv2 or pap" }).default("mschapv2"),
  ...serverCheck,
});

export const eapTlsSchema = z.strictObject({
  eap: z.literal("tls"),
  identity: eapText,
  clientCert: eapFile,
  privateKey: eapFile,
  privateKeyPassword: eapText.optional(),
  ...serverCheck,
});

/** Wired 802.1X: authenticate to the switch port before it lets traffic through. */
export const ieee8021xSchema = z.discriminatedUnion(
  "eap",
  [eapMd5Schema, eapPeapSchema, eapTtlsSchema, eapTlsSchema],
  {
    error: (issue) =>
      issue.code === "invalid_union" ? "must be md5, peap, ttls or tls" : undefined,
  },
);

export const ethernetConfigSchema = z.strictObject({
  type: z.literal("ethernet"),
  ipv4: ipv4Schema,
  ieee8021x: ieee8021xSchema.optional(),
  connectivity: connectivitySchema.optional(),
});

export const nullConfigSchema = z.strictObject({ type: z.literal("null") });

const TECHNOLOGIES = ["ethernet", "null"] as const;

export const interfaceConfigSchema = z.discriminatedUnion(
  "type",
  [ethernetConfigSchema, nullConfigSchema],
  {
    error: (issue) =>
      issue.code === "invalid_union"
        ? `unknown technology; must be one of ${TECHNOLOGIES.join(", ")}`
        : undefined,
  },
);

export const internetHostSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1, "must be 1..65535").max(65535, "must be 1..65535"),
});

const absolutePath = z.string().startsWith("/", "must be an absolute path");

/** A program and its arguments, run without a shell. */
const command = z
  .array(z.string().min(1, "must not be empty"), {
    error: (issue) =>
      issue.input === undefined ? undefined : "must be a list: the program, then its arguments",
  })
  .min(1, "must name a program");

/**
 * A power manager run by commands, for users of the configuration file (an
 * in-process implementation comes through `createNetworkManager` options).
 */
export const powerManagerSchema = z.strictObject({
  commands: z.strictObject({
    powerOn: command,
    /** Asks the device to shut down gracefully; without it, power is cut after timeToPowerOffMs. */
    startPoweringOff: command.optional(),
    powerOff: command,
  }),
  /** Each command's limit; one that fails or takes longer disables the power manager. */
  commandTimeoutMs: milliseconds(100).default(30_000),
  watchdogTimeoutMs: milliseconds(1_000).default(60_000),
  /** On at least this long after power-on before it may be powered off or reset. */
  powerOnHoldMs: milliseconds(0).default(600_000),
  /** From startPoweringOff to cutting the power. */
  timeToPowerOffMs: milliseconds(0).default(60_000),
  /** Off at least this long. */
  minPowerOffMs: milliseconds(0).default(10_000),
  /** Pet the watchdog only while the interface reaches the Internet, or already with a working link. */
  petWhen: z.enum(["internet", "lan"], { error: "must be internet or lan" }).default("internet"),
  /** A missed watchdog first restarts the interface's configuration, then power-cycles. */
  restartFirst: z.boolean().default(true),
  /** At most maxCycles power cycles per windowMs; then each waits twice as long as the last. */
  bootLoopGuard: z
    .strictObject({
      maxCycles: count(100).default(3),
      windowMs: milliseconds(1_000).default(3_600_000),
      backoffMs: milliseconds(1_000).default(3_600_000),
      maxBackoffMs: milliseconds(1_000).default(86_400_000),
    })
    .prefault({}),
});

export const configSchema = z.strictObject({
  interfaces: z.record(interfaceName, interfaceConfigSchema).default({}),
  internetHosts: z.array(internetHostSchema).default([]),
  powerManagers: z.record(interfaceName, powerManagerSchema).default({}),
  additionalNameServers: z.array(ipv4Address).default([]),
  resolvConf: absolutePath.default("/var/run/statenet/resolv.conf"),
  stateDir: absolutePath.default("/var/lib/statenet"),
  tmpDir: absolutePath.default("/var/run/statenet"),
});

export type InterfaceConfig = z.infer<typeof interfaceConfigSchema>;
export type EthernetConfig = z.infer<typeof ethernetConfigSchema>;
export type Ieee8021xConfig = z.infer<typeof ieee8021xSchema>;
export type Config = z.infer<typeof configSchema>;
export type PowerManagerConfig = z.infer<typeof powerManagerSchema>;
/** The file as written: defaults may be left out. */
export type ConfigInput = z.input<typeof configSchema>;
