import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { terminalJson, terminalText } from "../src/terminal-text.js";
import { anyText, RUNS } from "./fuzz/arbitraries.js";

describe("terminalText", () => {
  it("keeps printable text in any script as is", () => {
    for (const text of ["Home WiFi", "café", "Кафе", "咖啡馆", "📶 net", "a\u0301", "x\u00a0y"]) {
      expect(terminalText(text)).toBe(text);
    }
  });

  it("escapes control characters, as wpa_supplicant does where it has a name for them", () => {
    expect(terminalText("a\nb\rc\td\x1b[2Je")).toBe("a\\nb\\rc\\td\\e[2Je");
    expect(terminalText("\0\x07\x08\x7f\x9b")).toBe("\\x00\\x07\\x08\\x7f\\x9b");
  });

  it("escapes what would make text show as something else: bidi overrides, invisible and line-separating characters", () => {
    expect(terminalText("abc\u202edcba")).toBe("abc\\u{202e}dcba");
    expect(terminalText("a\u200bb\u2066c\ufeffd")).toBe("a\\u{200b}b\\u{2066}c\\u{feff}d");
    expect(terminalText("a\u2028b\u2029c")).toBe("a\\u{2028}b\\u{2029}c");
  });

  it("escapes lone surrogates (no UTF-8 can carry them) and backslashes", () => {
    expect(terminalText("a\ud800b\udfff")).toBe("a\\u{d800}b\\u{dfff}");
    expect(terminalText("\\x41")).toBe("\\\\x41");
  });

  it("never lets a control, format or separator character through, and stays one line", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const shown = terminalText(text);
        expect(shown).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u);
        expect(shown.split("\n")).toHaveLength(1);
      }),
      { numRuns: RUNS.many },
    );
  });

  it("tells different texts apart: an escape cannot be forged by the text itself", () => {
    fc.assert(
      fc.property(anyText, anyText, (a, b) => {
        fc.pre(a !== b);
        expect(terminalText(a)).not.toBe(terminalText(b));
      }),
      { numRuns: RUNS.many },
    );
  });
});

describe("terminalJson", () => {
  it("escapes in JSON's own way what JSON.stringify leaves raw", () => {
    expect(terminalJson({ ssid: "a\x7fb\x9bc\u202ed\u2028e" })).toBe(
      '{"ssid":"a\\u007fb\\u009bc\\u202ed\\u2028e"}',
    );
    expect(terminalJson(["\u{e0001}"])).toBe('["\\udb40\\udc01"]');
  });

  it("is the same JSON value, with no character a terminal acts on or hides", () => {
    fc.assert(
      fc.property(fc.dictionary(anyText, anyText, { maxKeys: 3 }), (value) => {
        const text = terminalJson(value);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(text).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u);
      }),
      { numRuns: RUNS.many },
    );
  });
});
