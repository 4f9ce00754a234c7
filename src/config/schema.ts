import { z } from "zod";
import { DEFAULT_INTERNET_HOSTS } from "../connectivity/default-internet-hosts.js";
import { ifnamesSchema } from "../ifnames/schema.js";
import { BUILTIN_TECHNOLOGIES } from "../technologies/builtin.js";
import type { Technology } from "../technologies/technology.js";
import { absolutePath, count, interfaceName, ipv4Address, milliseconds } from "./fields.js";

/**
 * The configuration file and the runtime `configure(ifname, config)` input.
 * Everything is checked before anything is touched; errors name the path.
 */

/** Each technology's schema, in the list's order (a tuple, so the union keeps every config type). */
type SchemasOf<List extends readonly unknown[]> = {
  -readonly [K in keyof List]: List[K] extends Technology<infer Schema> ? Schema : never;
};

/**
 * One interface's configuration for these technologies: a union told apart
 * by `type`. Typed by the list: a tuple of known technologies keeps each
 * config type; a list only known at run time gives `{ type: string }`.
 */
export function interfaceConfigSchemaFor<const List extends readonly Technology[]>(
  technologies: List,
) {
  const schemas = technologies.map((technology) => technology.schema) as unknown as SchemasOf<List>;
  const types = technologies.map(({ type }) => type).join(", ");
  return z.discriminatedUnion("type", schemas as SchemasOf<List> & DiscriminableList, {
    error: (issue) =>
      issue.code === "invalid_union" ? `unknown technology; must be one of ${types}` : undefined,
  });
}

/** What zod's discriminated union takes: at least one object schema. */
type DiscriminableList = readonly [z.core.$ZodTypeDiscriminable, ...z.core.$ZodTypeDiscriminable[]];

export const interfaceConfigSchema = interfaceConfigSchemaFor(BUILTIN_TECHNOLOGIES);

export const internetHostSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1, "must be 1..65535").max(65535, "must be 1..65535"),
});

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

/**
 * The loopback interface carries the device's own traffic as the kernel sets
 * it up: statenet never configures it (not even to leave it alone with null).
 */
export const LOOPBACK_INTERFACE = "lo";
export const LOOPBACK_REFUSAL = "the loopback interface is never managed";

const configurableInterfaceName = interfaceName.check((context) => {
  if (context.value !== LOOPBACK_INTERFACE) return;
  context.issues.push({ code: "custom", input: context.value, message: LOOPBACK_REFUSAL });
});

/**
 * Technology modules for the configuration file's readers (`statenet run`,
 * `check`): package names or paths, resolved from the file's folder; each
 * exports a Technology (default or `technology`). An application registers
 * its technologies with `createNetworkManager({ technologies })` instead.
 */
const technologyModules = z.array(z.string().min(1, "must name a module")).default([]);

/**
 * The whole configuration, its interfaces validated by these technologies'
 * schemas. A top-level `$schema` (the file's JSON Schema, for editors) is
 * accepted and left out of the result.
 */
export function configSchemaFor<const List extends readonly Technology[]>(technologies: List) {
  return z
    .strictObject({
      /** The JSON Schema this file follows, for editors (e.g. node_modules/statenet/schema/statenet-config.schema.json); ignored. */
      $schema: z.string().optional(),
      technologies: technologyModules,
      interfaces: z
        .record(configurableInterfaceName, interfaceConfigSchemaFor(technologies))
        .default({}),
      /**
       * Left out: DEFAULT_INTERNET_HOSTS (public DNS services, as VintageNet's
       * default). `[]`: no Internet checks at all; working links stay `lan`.
       */
      internetHosts: z
        .array(internetHostSchema)
        .default(() => DEFAULT_INTERNET_HOSTS.map((target) => ({ ...target }))),
      powerManagers: z.record(interfaceName, powerManagerSchema).default({}),
      additionalNameServers: z.array(ipv4Address).default([]),
      /** Predictable interface names: `[{ hwPath, ifname }]`, see src/ifnames/. */
      ifnames: ifnamesSchema,
      resolvConf: absolutePath.default("/var/run/statenet/resolv.conf"),
      stateDir: absolutePath.default("/var/lib/statenet"),
      tmpDir: absolutePath.default("/var/run/statenet"),
      /**
       * A group (name or gid) whose members may use the read-only control
       * socket (`tmpDir/control-group/control.sock`, 0660): `statenet status`,
       * `info`, `get`, `subscribe`, `wifi scan` without root. Changes stay root's.
       */
      controlGroup: z
        .union([
          z.string().regex(/^[a-z_][a-z0-9_-]*\$?$/i, "must be a group name or a gid"),
          z.number().int().min(0, "must be a group name or a gid"),
        ])
        .optional(),
    })
    .transform(({ $schema: _, ...config }) => config);
}

export const configSchema = configSchemaFor(BUILTIN_TECHNOLOGIES);

export type InterfaceConfig = z.infer<typeof interfaceConfigSchema>;
/** The configuration a technology takes, as written (a registered one's, for `configure`). */
export type TechnologyConfigInput<T extends Technology> = z.input<T["schema"]>;
export type { Ieee8021xConfig } from "../ieee8021x/schema.js";
export type { DirectConfig } from "../technologies/direct/schema.js";
export type { EthernetConfig } from "../technologies/ethernet/schema.js";
export type { MobileConfig } from "../technologies/mobile/schema.js";
export type { NullConfig } from "../technologies/null/index.js";
export type { WifiConfig } from "../technologies/wifi/config.js";
/**
 * The input types as interfaces generated from the schemas (`npm run
 * schema`), so that the fields' JSDoc reaches the declarations users see.
 */
export type {
  ConfigInput,
  DirectConfigInput,
  EthernetConfigInput,
  InterfaceConfigInput,
  MobileConfigInput,
  NullConfigInput,
  WifiConfigInput,
} from "./config-input.generated.js";
export type Config = z.infer<typeof configSchema>;
export type PowerManagerConfig = z.infer<typeof powerManagerSchema>;
