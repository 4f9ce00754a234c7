/**
 * Colour for the status pages, on a terminal only: none when the output is
 * piped or redirected (a script, a log) or when `NO_COLOR` is set to
 * anything but the empty string (https://no-color.org).
 */

export interface Colour {
  bold(text: string): string;
  /** Working: internet, configured, on. */
  good(text: string): string;
  /** Half working: lan, retrying, a hold. */
  warn(text: string): string;
  /** Not working: disconnected, a refused route. */
  bad(text: string): string;
}

const sgr =
  (code: string) =>
  (text: string): string =>
    `\x1b[${code}m${text}\x1b[0m`;

export const NO_COLOUR: Colour = {
  bold: (text) => text,
  good: (text) => text,
  warn: (text) => text,
  bad: (text) => text,
};

export const ANSI_COLOUR: Colour = {
  bold: sgr("1"),
  good: sgr("32"),
  warn: sgr("33"),
  bad: sgr("31"),
};

export function colourFor(
  stream: { isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>> = process.env,
): Colour {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== "";
  return stream.isTTY === true && !noColor ? ANSI_COLOUR : NO_COLOUR;
}

/** Text without the escapes above. */
export function withoutEscapes(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the escapes this module writes
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

/** Visible width of text that may hold the escapes above. */
export function visibleLength(text: string): number {
  return withoutEscapes(text).length;
}

/** A word of status in the colour its meaning has. */
export function statusColour(colour: Colour, status: unknown): (text: string) => string {
  switch (status) {
    case "internet":
    case "configured":
    case "on":
    case "authorized":
      return colour.good;
    case "lan":
    case "retrying":
    case "configuring":
    case "on_hold":
    case "starting":
    case "resetting":
      return colour.warn;
    case "disconnected":
    case "off":
    case "failed":
    case "unauthorized":
      return colour.bad;
    default:
      return (text) => text;
  }
}
