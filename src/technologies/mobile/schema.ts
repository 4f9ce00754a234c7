import { z } from "zod";
import { connectivitySchema } from "../../config/connectivity-schema.js";
import { milliseconds } from "../../config/fields.js";
import { routeTypeSchema } from "../../config/route-type.js";
import type { ModemOptions, ModemProvider } from "./provider.js";

/**
 * An APN as carriers give it (3GPP TS 23.003: labels of letters, digits and
 * hyphens, dot-separated); it goes into modem commands' arguments verbatim.
 */
const APN_REQUIRED = "required: the access point name your carrier gives";
const apn = z
  .string({ error: (issue) => (issue.input === undefined ? APN_REQUIRED : "must be a string") })
  .min(1, APN_REQUIRED)
  .max(100, "must be at most 100 characters")
  .regex(
    /^[A-Za-z0-9]([A-Za-z0-9_-]*)(\.[A-Za-z0-9_-]+)*$/,
    "must be an access point name: letters, digits, - and _ in dot-separated labels",
  );

const serviceProviderSchema = z.strictObject({ apn });

/** A modem's block: its provider's name and the options that provider defines. */
export type ModemBlock = ModemOptions & { readonly [option: string]: unknown };

/** The modem's block: the registered provider its `provider` names validates the rest. */
function modemSchema(providers: readonly ModemProvider[]): z.ZodType<ModemBlock, ModemBlock> {
  const names = providers.map(({ name }) => name).join(", ");
  // Each provider's schema is a strict object with a literal `provider` (see provider.ts).
  const options = providers.map(({ schema }) => schema) as unknown as [
    z.ZodObject<{ provider: z.ZodLiteral<string> }>,
  ];
  return z.discriminatedUnion("provider", options, {
    error: (issue) =>
      issue.code === "invalid_union"
        ? `unknown modem provider ${JSON.stringify((issue.input as { provider?: unknown })?.provider)}; must be one of ${names}`
        : undefined,
  });
}

/** A mobile interface's config (`type` is "mobile" unless registered under another name). */
export function mobileConfigSchema<Type extends string>(
  type: Type,
  providers: readonly ModemProvider[],
) {
  return z
    .strictObject({
      type: z.literal(type),
      mobile: z.strictObject({
        /** The first is dialled; more than one is for a later choice by SIM (as in VintageNetMobile). */
        serviceProviders: z
          .array(serviceProviderSchema, {
            error: (issue) =>
              issue.input === undefined ? "required: a list with the carrier's apn" : undefined,
          })
          .min(1, "required: at least one service provider with an apn"),
        modem: modemSchema(providers),
        /** After a failed connect: wait this long, doubling up to maxRetryDelayMs. */
        retryDelayMs: milliseconds(100).default(2_000),
        maxRetryDelayMs: milliseconds(100).default(60_000),
      }),
      connectivity: connectivitySchema.optional(),
      /** Where its default route ranks, when not mobile (see route-type.ts). */
      routeType: routeTypeSchema.optional(),
    })
    .check((context) => {
      const { retryDelayMs, maxRetryDelayMs } = context.value.mobile;
      if (maxRetryDelayMs < retryDelayMs) {
        context.issues.push({
          code: "custom",
          input: maxRetryDelayMs,
          path: ["mobile", "maxRetryDelayMs"],
          message: `must be at least retryDelayMs (${retryDelayMs})`,
        });
      }
    });
}

export type MobileConfigSchema<Type extends string = "mobile"> = ReturnType<
  typeof mobileConfigSchema<Type>
>;
export type MobileConfig<Type extends string = "mobile"> = z.infer<MobileConfigSchema<Type>>;
export type ServiceProviderConfig = z.infer<typeof serviceProviderSchema>;
