import { lstat, mkdtemp, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import { CpioEntryError, cpioArchive } from "../../lab/vm/cpio.js";

describe("cpioArchive", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("writes an archive busybox cpio unpacks to the same tree", async () => {
    dir = await mkdtemp(join(tmpdir(), "statenet-cpio-"));
    // Lengths 0 to 3 modulo 4 exercise every padding of names and data.
    const archive = cpioArchive([
      { type: "directory", path: "bin" },
      { type: "file", path: "bin/tool", data: Buffer.from("#!/bin/sh\n"), mode: 0o755 },
      { type: "symlink", path: "bin/sh", target: "tool" },
      { type: "file", path: "empty", data: Buffer.alloc(0) },
      { type: "file", path: "odd.txt", data: Buffer.from("abcde") },
      { type: "file", path: "/leading/slash-is-dropped", data: Buffer.from("x") },
    ]);
    await writeFile(join(dir, "archive.cpio"), archive);
    const listing = await execa("busybox", ["cpio", "-t", "-F", "archive.cpio"], { cwd: dir });
    expect(listing.stdout.split("\n")).toEqual([
      "bin",
      "bin/tool",
      "bin/sh",
      "empty",
      "odd.txt",
      "leading/slash-is-dropped",
    ]);
    const tree = join(dir, "tree");
    await execa(
      "sh",
      ["-c", `mkdir ${tree} && cd ${tree} && busybox cpio -i -d -F ../archive.cpio`],
      {
        cwd: dir,
      },
    );
    expect(await readFile(join(tree, "bin/tool"), "utf8")).toBe("#!/bin/sh\n");
    expect((await lstat(join(tree, "bin/tool"))).mode & 0o777).toBe(0o755);
    expect(await readlink(join(tree, "bin/sh"))).toBe("tool");
    expect(await readFile(join(tree, "empty"), "utf8")).toBe("");
    expect(await readFile(join(tree, "odd.txt"), "utf8")).toBe("abcde");
  });

  it("records a device node's numbers", () => {
    const archive = cpioArchive([{ type: "char-device", path: "dev/console", major: 5, minor: 1 }]);
    const header = archive.subarray(0, 110).toString();
    expect(header.slice(0, 6)).toBe("070701");
    // mode is field 2, rdevmajor and rdevminor fields 10 and 11 (8 hex digits each).
    const field = (n: number) => header.slice(6 + (n - 1) * 8, 6 + n * 8);
    expect(Number.parseInt(field(2), 16)).toBe(0o020600);
    expect(Number.parseInt(field(10), 16)).toBe(5);
    expect(Number.parseInt(field(11), 16)).toBe(1);
  });

  it("refuses a path that climbs out", () => {
    expect(() => cpioArchive([{ type: "directory", path: "a/../../etc" }])).toThrow(CpioEntryError);
    expect(() => cpioArchive([{ type: "directory", path: "/" }])).toThrow(/relative path/);
  });
});
