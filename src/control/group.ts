import { readFile } from "node:fs/promises";

/**
 * `controlGroup` as a gid: a number is one; a name is looked up in
 * /etc/group, as on an embedded image without NSS modules (Buildroot,
 * Yocto), where that file is the whole group database.
 */

export class UnknownGroupError extends Error {
  constructor(group: string, file: string) {
    super(`controlGroup: no group ${group} in ${file}`);
    this.name = "UnknownGroupError";
  }
}

/** The gid of `name` in the text of an /etc/group file; undefined when it has none. */
export function gidInGroupFile(text: string, name: string): number | undefined {
  for (const line of text.split("\n")) {
    const [entry, , gid] = line.split(":");
    if (entry === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return undefined;
}

export async function controlGroupId(group: string | number, file = "/etc/group"): Promise<number> {
  if (typeof group === "number") return group;
  const gid = gidInGroupFile(await readFile(file, "utf8"), group);
  if (gid === undefined) throw new UnknownGroupError(group, file);
  return gid;
}
