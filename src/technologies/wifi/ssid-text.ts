/**
 * SSIDs as wpa_supplicant prints them. An SSID is up to 32 arbitrary bytes;
 * wpa_supplicant writes it with `printf_encode` (src/utils/common.c): `"`,
 * `\` and the control characters ESC, LF, CR and TAB as `\"`, `\\`, `\e`,
 * `\n`, `\r`, `\t`, every other byte outside 32..126 as `\xNN`, the rest as
 * is. So a printed SSID holds no line break, tab or bare double quote.
 */

const ESCAPES: Readonly<Record<string, number>> = {
  '"': 0x22,
  "\\": 0x5c,
  e: 0x1b,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
};

const HEX_DIGIT = /^[0-9a-fA-F]$/;

/**
 * The bytes of an SSID printed by wpa_supplicant. Lenient, as its own
 * `printf_decode` is: a backslash before anything else stands for itself.
 */
export function decodeSsidBytes(text: string): Uint8Array {
  const utf8 = Buffer.from(text, "utf8");
  const bytes: number[] = [];
  for (let index = 0; index < utf8.length; index++) {
    const byte = utf8[index] as number;
    if (byte !== 0x5c || index + 1 >= utf8.length) {
      bytes.push(byte);
      continue;
    }
    const next = String.fromCharCode(utf8[index + 1] as number);
    const escaped = ESCAPES[next];
    if (escaped !== undefined) {
      bytes.push(escaped);
      index += 1;
      continue;
    }
    const high = String.fromCharCode(utf8[index + 2] ?? 0);
    const low = String.fromCharCode(utf8[index + 3] ?? 0);
    if (next === "x" && HEX_DIGIT.test(high) && HEX_DIGIT.test(low)) {
      bytes.push(Number.parseInt(high + low, 16));
      index += 3;
      continue;
    }
    bytes.push(byte);
  }
  return Uint8Array.from(bytes);
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** An SSID printed by wpa_supplicant, as text: its bytes read as UTF-8 (invalid sequences become U+FFFD). */
export function decodeSsid(text: string): string {
  return utf8Decoder.decode(decodeSsidBytes(text));
}

/** `printf_encode` of the bytes: what wpa_supplicant prints for an SSID (tests build its output with this). */
export function encodeSsid(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) {
    switch (byte) {
      case 0x22:
        text += '\\"';
        break;
      case 0x5c:
        text += "\\\\";
        break;
      case 0x1b:
        text += "\\e";
        break;
      case 0x0a:
        text += "\\n";
        break;
      case 0x0d:
        text += "\\r";
        break;
      case 0x09:
        text += "\\t";
        break;
      default:
        text +=
          byte >= 32 && byte <= 126
            ? String.fromCharCode(byte)
            : `\\x${byte.toString(16).padStart(2, "0")}`;
    }
  }
  return text;
}
