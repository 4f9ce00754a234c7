/**
 * A writer for the "newc" cpio format, the one the kernel unpacks as an
 * initramfs: enough for directories, regular files, symlinks and device
 * nodes. Written here so that building the VM lab's initramfs needs no cpio
 * binary on the host.
 */

export type CpioEntry =
  | { type: "directory"; path: string; mode?: number }
  | { type: "file"; path: string; data: Uint8Array; mode?: number }
  | { type: "symlink"; path: string; target: string }
  | { type: "char-device"; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const TRAILER = "TRAILER!!!";

export class CpioEntryError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`cpio entry ${JSON.stringify(path)}: ${message}`);
    this.name = "CpioEntryError";
  }
}

/** The archive for `entries`, in order (a directory must come before what it holds). */
export function cpioArchive(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((entry, index) => {
    parts.push(...member(entry, index + 1));
  });
  parts.push(...record({ name: TRAILER, ino: 0, mode: 0, nlink: 1, data: Buffer.alloc(0) }));
  return Buffer.concat(parts);
}

function member(entry: CpioEntry, ino: number): Buffer[] {
  const name = entry.path.replace(/^\/+/, "");
  if (name === "" || name.split("/").includes("..") || name.includes("\0")) {
    throw new CpioEntryError(entry.path, "must be a relative path without .. or NUL");
  }
  switch (entry.type) {
    case "directory":
      return record({ name, ino, mode: S_IFDIR | (entry.mode ?? 0o755), nlink: 2 });
    case "file":
      return record({
        name,
        ino,
        mode: S_IFREG | (entry.mode ?? 0o644),
        nlink: 1,
        data: entry.data,
      });
    case "symlink":
      return record({
        name,
        ino,
        mode: S_IFLNK | 0o777,
        nlink: 1,
        data: Buffer.from(entry.target),
      });
    case "char-device":
      return record({
        name,
        ino,
        mode: S_IFCHR | (entry.mode ?? 0o600),
        nlink: 1,
        rdev: [entry.major, entry.minor],
      });
  }
}

function record(fields: {
  name: string;
  ino: number;
  mode: number;
  nlink: number;
  data?: Uint8Array;
  rdev?: [number, number];
}): Buffer[] {
  const data = fields.data ?? new Uint8Array(0);
  const name = Buffer.from(`${fields.name}\0`);
  const hex = (value: number) => value.toString(16).padStart(8, "0");
  const header = Buffer.from(
    [
      "070701",
      hex(fields.ino),
      hex(fields.mode),
      hex(0), // uid: root
      hex(0), // gid
      hex(fields.nlink),
      hex(0), // mtime: a fixed one keeps the archive reproducible
      hex(data.length),
      hex(0), // devmajor
      hex(0), // devminor
      hex(fields.rdev?.[0] ?? 0),
      hex(fields.rdev?.[1] ?? 0),
      hex(name.length),
      hex(0), // check
    ].join(""),
  );
  // The name is padded so the data starts on a 4-byte boundary; so is the data.
  return [
    header,
    name,
    padding(header.length + name.length),
    Buffer.from(data),
    padding(data.length),
  ];
}

function padding(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}
