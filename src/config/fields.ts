import { z } from "zod";
import { assertInterfaceName } from "../linux/interface-name.js";

/** Field schemas that every part of the configuration shares. */

export const ipv4Address = z.ipv4({
  error: (issue) => `not an IPv4 address: ${JSON.stringify(issue.input)}`,
});

export const interfaceName = z.string().check((context) => {
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

export const prefixLength = z
  .number()
  .int("must be an integer")
  .min(0, "must be 0..32")
  .max(32, "must be 0..32");

export const milliseconds = (minimum: number) =>
  z
    .number()
    .int("must be an integer number of milliseconds")
    .min(minimum, `must be at least ${minimum} ms`)
    .max(86_400_000, "must be at most one day");

export const count = (maximum: number) =>
  z
    .number()
    .int("must be an integer")
    .min(1, `must be 1..${maximum}`)
    .max(maximum, `must be 1..${maximum}`);

export const absolutePath = z.string().startsWith("/", "must be an absolute path");
