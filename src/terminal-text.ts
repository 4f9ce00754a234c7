/**
 * Text from elsewhere (an SSID is any 32 bytes a stranger's access point
 * sends) made safe to print on a terminal: control characters could move
 * the cursor, rewrite earlier lines or change the terminal's settings;
 * format characters (bidirectional overrides, zero-width ones) and line
 * separators could make it show something other than what it is.
 * Printable text, in any script, is kept as is.
 */

// The backslash too: an escape in the output then always stands for one character.
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\\]/gu;

/** The escapes wpa_supplicant prints SSIDs with, so the two read alike. */
const NAMED: Readonly<Record<string, string>> = {
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\x1b": "\\e",
};

function escaped(character: string): string {
  const named = NAMED[character];
  if (named !== undefined) return named;
  const code = character.codePointAt(0) ?? 0;
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u{${code.toString(16).padStart(4, "0")}}`;
}

/** `text` with every character that is not safe on a terminal written as an escape. */
export function terminalText(text: string): string {
  return text.replace(UNSAFE, escaped);
}

/**
 * JSON of `value` that is as safe on a terminal: JSON.stringify escapes the
 * C0 controls and lone surrogates but leaves DEL, the C1 controls, format
 * characters and line separators as they are; they can only stand inside
 * strings, where `\uXXXX` means the same.
 */
export function terminalJson(value: unknown): string {
  return (JSON.stringify(value) ?? "null").replace(
    /[\x7f-\x9f\p{Cf}\p{Zl}\p{Zp}]/gu,
    (character) => {
      let escaped = "";
      // A character beyond the BMP is two UTF-16 units, each escaped: JSON's way.
      for (let index = 0; index < character.length; index++) {
        escaped += `\\u${character.charCodeAt(index).toString(16).padStart(4, "0")}`;
      }
      return escaped;
    },
  );
}
