import { readFile } from "node:fs/promises";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { extractVmlinux, isCompleteElf64, xzPayloadOffset } from "../../lab/vm/kernel-image.js";
import { findOnPath } from "../../src/preflight/probe.js";

const hasXz = (await findOnPath("xz")) !== undefined;

describe("the kernel inside a bzImage", () => {
  it("tells a whole ELF file from a cut one", async () => {
    const elf = await readFile(process.execPath);
    expect(isCompleteElf64(elf)).toBe(true);
    expect(isCompleteElf64(elf.subarray(0, elf.length - 1))).toBe(false);
    expect(isCompleteElf64(Buffer.from("#!/bin/sh\n"))).toBe(false);
  });

  it("finds no xz stream where there is none", () => {
    expect(xzPayloadOffset(Buffer.from("MZ no kernel here"))).toBeUndefined();
  });

  it.skipIf(!hasXz)("decompresses the xz stream between a header and a trailer", async () => {
    const elf = await readFile("/bin/true");
    const { stdout: compressed } = await execa("xz", ["--stdout", "--check=crc32"], {
      input: elf,
      encoding: "buffer",
    });
    const header = Buffer.from("bzImage setup code, then the payload: ");
    const bzImage = Buffer.concat([header, Buffer.from(compressed), Buffer.from("trailing data")]);
    expect(xzPayloadOffset(bzImage)).toBe(header.length);
    expect(await extractVmlinux(bzImage)).toEqual(elf);
  });

  it.skipIf(!hasXz)("fails when the stream does not hold a whole kernel", async () => {
    const { stdout: compressed } = await execa("xz", ["--stdout"], {
      input: "not an ELF file",
      encoding: "buffer",
    });
    await expect(extractVmlinux(Buffer.from(compressed))).rejects.toThrow(/whole ELF kernel/);
  });
});
