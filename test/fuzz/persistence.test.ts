import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/validate.js";
import { InvalidInterfaceNameError, isInterfaceName } from "../../src/linux/interface-name.js";
import { ConfigStore, UnregisteredTechnologyError } from "../../src/persistence/config-store.js";
import { KEY_BYTES, SealedFileError, seal, unseal } from "../../src/persistence/sealed-file.js";
import {
  anyText,
  deepJsonText,
  mutatedJson,
  mutatedText,
  oddJsonValue,
  RUNS,
} from "./arbitraries.js";

/**
 * Saved configurations are read back after power cuts, disk errors, and
 * whatever else touched the state directory. Contract: unseal opens only
 * what seal wrote for that interface with that key, and throws
 * SealedFileError for anything else; ConfigStore.load answers a usable
 * configuration or throws SealedFileError, ConfigError,
 * UnregisteredTechnologyError (a `type` no registered technology has), or a plain Error
 * saying why the document is unusable (loadAll reports its message) —
 * never a TypeError or other accident of reading an unexpected shape.
 * Every method refuses a name that is not an interface name with
 * InvalidInterfaceNameError, and keeps every other inside its directory.
 */

const KEY = randomBytes(KEY_BYTES);
const DOCUMENT = {
  version: 1,
  ifname: "eth0",
  savedAt: "2026-01-01T00:00:00.000Z",
  config: { type: "ethernet", ipv4: { method: "dhcp" } },
};
const SEALED = seal(Buffer.from(JSON.stringify(DOCUMENT)), KEY, "eth0");

type ByteEdit = { at: number; kind: "flip" | "cut" | "insert" | "drop"; byte: number };

const byteEdit: fc.Arbitrary<ByteEdit> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom("flip", "cut", "insert", "drop"),
  byte: fc.integer({ min: 1, max: 255 }),
});

function edited(bytes: Buffer, { at, kind, byte }: ByteEdit): Buffer {
  const index = at % (bytes.length + 1);
  switch (kind) {
    case "flip": {
      if (index === bytes.length) return bytes;
      const copy = Buffer.from(bytes);
      copy[index] = (copy[index] as number) ^ byte;
      return copy;
    }
    case "cut":
      return bytes.subarray(0, index);
    case "insert":
      return Buffer.concat([bytes.subarray(0, index), Buffer.from([byte]), bytes.subarray(index)]);
    case "drop":
      return Buffer.concat([bytes.subarray(0, index), bytes.subarray(index + 1)]);
  }
}

describe("unseal (fuzzed)", () => {
  it("refuses every altered sealed file with SealedFileError", () => {
    fc.assert(
      fc.property(fc.array(byteEdit, { minLength: 1, maxLength: 4 }), (edits) => {
        const altered = edits.reduce(edited, SEALED);
        fc.pre(!altered.equals(SEALED));
        expect(() => unseal(altered, KEY, "eth0")).toThrow(SealedFileError);
      }),
      { numRuns: RUNS.many },
    );
  });

  it("refuses arbitrary bytes, another key and another interface with SealedFileError", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
          fc
            .uint8Array({ maxLength: 200 })
            .map((bytes) => Buffer.concat([SEALED.subarray(0, 5), Buffer.from(bytes)])),
        ),
        fc.constantFrom("eth0", "eth1"),
        (bytes, ifname) => {
          expect(() => unseal(bytes, KEY, ifname)).toThrow(SealedFileError);
          expect(() => unseal(SEALED, randomBytes(KEY_BYTES), "eth0")).toThrow(SealedFileError);
          expect(() => unseal(SEALED, KEY, "eth1")).toThrow(SealedFileError);
        },
      ),
      { numRuns: RUNS.some },
    );
  });
});

describe("ConfigStore.load (fuzzed)", () => {
  let dir: string;
  let store: ConfigStore;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "statenet-fuzz-store-"));
    store = new ConfigStore({ dir, key: KEY });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** What loadAll does with a failure: report its message, so the message must say something. */
  function expectReportable(error: unknown): void {
    const typed =
      error instanceof SealedFileError ||
      error instanceof ConfigError ||
      error instanceof UnregisteredTechnologyError;
    if (!typed) {
      expect(error).toBeInstanceOf(Error);
      // A plain Error of load's own, not a TypeError or RangeError from reading a wrong shape.
      expect((error as Error).constructor).toBe(Error);
    }
    expect((error as Error).message).not.toBe("");
  }

  it("refuses every name that is not an interface name and stores every one that is, in its directory", async () => {
    const before = await readdir(dir);
    // A directory of its own, holding one file that no name may reach.
    const own = await mkdtemp(join(dir, "names-"));
    const namesStore = new ConfigStore({ dir: own, key: KEY });
    await writeFile(join(own, "canary"), "");
    const names = fc.oneof(
      anyText,
      fc.stringMatching(/^[A-Za-z0-9_.@/:-]{0,17}$/),
      fc.constantFrom("..", ".", "", "../eth0", "eth0/..", "/", "__proto__"),
    );
    await fc.assert(
      fc.asyncProperty(names, async (name) => {
        if (!isInterfaceName(name)) {
          await expect(namesStore.save(name, null)).rejects.toThrow(InvalidInterfaceNameError);
          await expect(namesStore.load(name)).rejects.toThrow(InvalidInterfaceNameError);
          await expect(namesStore.has(name)).rejects.toThrow(InvalidInterfaceNameError);
          await expect(namesStore.remove(name)).rejects.toThrow(InvalidInterfaceNameError);
          return;
        }
        expect(dirname(namesStore.fileOf(name))).toBe(own);
        await namesStore.save(name, null);
        expect((await namesStore.load(name))?.config).toBeNull();
        await namesStore.remove(name);
        expect(await namesStore.has(name)).toBe(false);
      }),
      { numRuns: RUNS.some },
    );
    // Nothing written elsewhere, nothing left behind, the canary untouched.
    expect(await readdir(own)).toEqual(["canary"]);
    expect((await readdir(dir)).sort()).toEqual([...before, basename(own)].sort());
  }, 30_000);

  it("answers any sealed document with a usable configuration or a reportable error", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mutatedJson([DOCUMENT]).map((document) => JSON.stringify(document) ?? ""),
          mutatedText([JSON.stringify(DOCUMENT)]),
          oddJsonValue.map((value) => JSON.stringify(value) ?? ""),
          anyText,
          deepJsonText([['{"version":1,"ifname":"eth0","config":', "}"]]),
        ),
        async (plaintext) => {
          await writeFile(store.fileOf("eth0"), seal(Buffer.from(plaintext), KEY, "eth0"));
          const saved = await store.load("eth0").catch((error: unknown) => {
            expectReportable(error);
            return undefined;
          });
          if (!saved) return;
          expect(Number.isNaN(Date.parse(saved.savedAt))).toBe(false);
          if (saved.config !== null) expect(["ethernet", "null"]).toContain(saved.config.type);
        },
      ),
      { numRuns: RUNS.some },
    );
  }, 30_000);
});
