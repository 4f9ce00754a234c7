import fc from "fast-check";
import { expect } from "vitest";

/**
 * Generators shared by the fuzz tests: arbitrary text, near-valid text made
 * by mutating real samples, JSON of the wrong shape, and long adversarial
 * lines for regular expressions that might backtrack.
 */

/** Pieces that break naive parsers: separators, prototype keys, odd numbers, odd code points. */
export const SPECIAL_TOKENS = [
  "",
  "\0",
  "\n",
  "\r",
  "\r\n",
  "\t",
  " ",
  "  ",
  "\u2028",
  "\uFEFF",
  "\uD800",
  "é",
  "😀",
  ":",
  "/",
  ".",
  "-",
  "%",
  "[",
  "]",
  "{",
  "}",
  '"',
  "\\",
  "=",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "NaN",
  "Infinity",
  "-0",
  "-1",
  "0",
  "1e400",
  "0x10",
  "4294967296",
  "9".repeat(40),
  "0.0.0.0",
  "255.255.255.255",
  "::ffff:192.0.2.1",
] as const;

/**
 * Any code point, lone surrogates included. Not fast-check's `binary` unit,
 * which takes seconds to build on a loaded machine.
 */
const anyCodePoint = fc
  .integer({ min: 0, max: 0x10ffff })
  .map((code) => String.fromCodePoint(code));

/** Short text of every kind: printable, any code point, or a special token. */
export const chunk: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ unit: anyCodePoint, maxLength: 8 }),
  fc.string({
    unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
    maxLength: 2,
  }),
  fc.constantFrom(...SPECIAL_TOKENS),
);

/** Any text up to a few hundred characters, mostly built from `chunk`s. */
export const anyText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: anyCodePoint, maxLength: 200 }),
  fc.string({ unit: "grapheme", maxLength: 100 }),
  fc.array(chunk, { maxLength: 30 }).map((parts) => parts.join("")),
);

type Mutation =
  | { kind: "insert" | "replace"; at: number; length: number; text: string }
  | { kind: "delete" | "duplicate" | "truncate"; at: number; length: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constantFrom("insert" as const, "replace" as const),
    at: fc.nat(),
    length: fc.nat({ max: 12 }),
    text: chunk,
  }),
  fc.record({
    kind: fc.constantFrom("delete" as const, "duplicate" as const, "truncate" as const),
    at: fc.nat(),
    length: fc.nat({ max: 40 }),
  }),
);

function mutate(text: string, change: Mutation): string {
  const at = change.at % (text.length + 1);
  const end = Math.min(text.length, at + change.length);
  switch (change.kind) {
    case "insert":
      return text.slice(0, at) + change.text + text.slice(at);
    case "replace":
      return text.slice(0, at) + change.text + text.slice(end);
    case "delete":
      return text.slice(0, at) + text.slice(end);
    case "duplicate":
      return text.slice(0, end) + text.slice(at, end) + text.slice(end);
    case "truncate":
      return text.slice(0, at);
  }
}

/** A valid sample with one to six random edits: input that almost parses. */
export function mutatedText(samples: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...samples), fc.array(mutation, { minLength: 1, maxLength: 6 }))
    .map(([sample, changes]) => changes.reduce(mutate, sample));
}

/** Nested `depth` times: `[[[…]]]` or `{"a":{"a":…}}`, past any recursion a parser might do. */
export function deeplyNested(depth: number, kind: "array" | "object"): unknown {
  const text =
    kind === "array"
      ? `${"[".repeat(depth)}${"]".repeat(depth)}`
      : `${'{"a":'.repeat(depth)}null${"}".repeat(depth)}`;
  return JSON.parse(text);
}

// Deeper than this, JSON.stringify itself runs out of stack: deeper input is made as text (deepJsonText).
const DEEP_ARRAY = deeplyNested(1_000, "array");
const DEEP_OBJECT = deeplyNested(1_000, "object");

/** JSON text nested 10 000 to 100 000 levels deep inside `[prefix … suffix]`, which JSON.parse still reads. */
export function deepJsonText(wrappers: ReadonlyArray<readonly [string, string]> = [["", ""]]) {
  return fc
    .tuple(fc.constantFrom(...wrappers), fc.integer({ min: 10_000, max: 100_000 }), fc.boolean())
    .map(([[prefix, suffix], depth, array]) => {
      const [open, close] = array ? ["[", "]"] : ['{"a":', "}"];
      return `${prefix}${open.repeat(depth)}${array ? "" : "null"}${close.repeat(depth)}${suffix}`;
    });
}

/** What JSON.parse can return that a shape check may not expect (1e400 parses as Infinity). */
export const oddJsonValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    "",
    0,
    -0,
    -1,
    1.5,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    2 ** 53 + 2,
    1e300,
    [],
    {},
    DEEP_ARRAY,
    DEEP_OBJECT,
    JSON.parse('{"__proto__":{"polluted":true}}'),
  ),
  anyText,
  fc.jsonValue({ maxDepth: 3 }),
);

/** Every path to a value inside `value`, the root (empty path) included. */
function pathsOf(
  value: unknown,
  prefix: (string | number)[] = [],
  depth = 0,
): (string | number)[][] {
  const paths = [prefix];
  if (depth > 8 || typeof value !== "object" || value === null) return paths;
  const keys = Array.isArray(value) ? value.map((_, index) => index) : Object.keys(value);
  for (const key of keys) {
    paths.push(
      ...pathsOf((value as Record<string | number, unknown>)[key], [...prefix, key], depth + 1),
    );
  }
  return paths;
}

function replaced(
  value: unknown,
  path: readonly (string | number)[],
  next: unknown,
  drop: boolean,
): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return next;
  if (Array.isArray(value)) {
    const copy = [...value];
    if (drop && rest.length === 0) copy.splice(head as number, 1);
    else copy[head as number] = replaced(copy[head as number], rest, next, drop);
    return copy;
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  if (drop && rest.length === 0) delete copy[head];
  else
    Object.defineProperty(copy, head, {
      value: replaced(copy[head], rest, next, drop),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return copy;
}

/** A leaf value changed a little: a string edited, a number pushed off its range. */
const perturbation = fc.record({
  changes: fc.array(mutation, { minLength: 1, maxLength: 3 }),
  number: fc.constantFrom(
    (n: number) => n + 1,
    (n: number) => n - 1,
    (n: number) => -n,
    (n: number) => n + 0.5,
    (n: number) => n * 2 ** 40,
    (n: number) => String(n),
  ),
});

function perturbed(
  value: unknown,
  { changes, number }: { changes: Mutation[]; number: (n: number) => unknown },
): unknown {
  if (typeof value === "string") return changes.reduce(mutate, value);
  if (typeof value === "number") return number(value);
  return value;
}

/**
 * A valid JSON sample with one to four values somewhere inside it edited a
 * little, replaced by an odd value, dropped, or given an extra key: valid
 * JSON of almost the right shape.
 */
export function mutatedJson(samples: readonly unknown[]): fc.Arbitrary<unknown> {
  const edit = fc.record({
    at: fc.nat(),
    kind: fc.constantFrom("perturb", "perturb", "replace", "drop", "add"),
    key: fc.oneof(
      fc.constantFrom("__proto__", "constructor", "toString"),
      fc.string({ maxLength: 6 }),
    ),
    value: oddJsonValue,
    perturbation,
  });
  return fc
    .tuple(fc.constantFrom(...samples), fc.array(edit, { minLength: 1, maxLength: 4 }))
    .map(([sample, edits]) =>
      edits.reduce((value, { at, kind, key, value: odd, perturbation: change }) => {
        const paths = pathsOf(value);
        const path = paths[at % paths.length] ?? [];
        const target = path.reduce<unknown>(
          (node, step) => (node as Record<string | number, unknown>)[step],
          value,
        );
        switch (kind) {
          case "add":
            if (typeof target !== "object" || target === null || Array.isArray(target))
              return value;
            return replaced(value, [...path, key], odd, false);
          case "perturb":
            return replaced(value, path, perturbed(target, change), false);
          default:
            return replaced(value, path, odd, kind === "drop" && path.length > 0);
        }
      }, sample),
    );
}

/**
 * About 100 KB made by repeating a short unit, between an optional prefix and
 * suffix: the input that makes a backtracking regular expression take forever.
 */
export function longLine(units: readonly string[], prefixes: readonly string[] = [""]) {
  return fc
    .tuple(
      fc.constantFrom(...prefixes),
      fc.constantFrom(...units),
      fc.constantFrom("", "!", "\n", ":", " x"),
    )
    .map(
      ([prefix, unit, suffix]) => prefix + unit.repeat(Math.ceil(100_000 / unit.length)) + suffix,
    );
}

/**
 * Runs `parse`; a throw must be one of `errors` (never a TypeError, RangeError
 * or other accident) with a non-empty message. Returns the result, or undefined after a typed throw.
 */
export function parsedOrRejected<T>(
  parse: () => T,
  ...errors: Array<abstract new (...args: never[]) => Error>
): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!errors.some((type) => error instanceof type)) {
      throw new Error(`threw an untyped ${(error as Error)?.name}: ${(error as Error)?.message}`, {
        cause: error,
      });
    }
    expect((error as Error).message).not.toBe("");
    return undefined;
  }
}

/** Run counts: enough to find the shallow bugs every run, small enough for a loaded 2-core machine. */
export const RUNS = { many: 300, some: 200, few: 20 } as const;

/**
 * One seed for every property, so that `npm test` (and CI) fails for a change
 * of the code and never for a draw of the dice. `STATENET_FUZZ_SEED=random`
 * explores new inputs; a failure prints the seed and path that replay it.
 */
const seedSetting = process.env.STATENET_FUZZ_SEED ?? "20261201";
if (seedSetting !== "random") {
  const seed = Number(seedSetting);
  if (!Number.isSafeInteger(seed))
    throw new Error(`STATENET_FUZZ_SEED: ${seedSetting} is no integer`);
  fc.configureGlobal({ seed });
}
