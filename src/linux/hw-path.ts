import { readdir, readFile, readlink, realpath } from "node:fs/promises";
import { join } from "node:path";
import { VIRTUAL_HW_PATH } from "../ifnames/rename-plan.js";

/**
 * The full sysfs hardware path of a link, as VintageNet publishes it in
 * `interface/<if>/hw_path`: the path of the link's parent device under /sys,
 * without /sys and without the trailing `/net/<ifname>` (which a rename
 * changes), e.g. `/devices/pci0000:00/0000:00:02.0/virtio0`. A link without
 * a parent device has `/devices/virtual`.
 */

/** What `ip -j -d link show` says of a link's parent device. */
export interface LinkParent {
  ifname: string;
  ifindex: number;
  /** `parentbus` (e.g. `pci`, `usb`, `virtio`); absent for a parent on no bus. */
  bus?: string | undefined;
  /** `parentdev` (e.g. `0000:00:03.0`); absent for a link without a parent. */
  device?: string | undefined;
}

/**
 * From the target of `/sys/class/net/<ifname>` (`../../devices/…/net/<ifname>`)
 * to the hardware path; undefined for a target of another shape.
 */
export function hwPathFromClassLink(target: string, ifname: string): string | undefined {
  const suffix = `/net/${ifname}`;
  const match = /^(?:\.\.\/)+(devices\/.+)$/.exec(target);
  const path = match?.[1];
  if (path === undefined || !path.endsWith(suffix)) return undefined;
  const device = `/${path.slice(0, -suffix.length)}`;
  return device === "/devices" ? undefined : device;
}

/** From a device's real path (`/sys/devices/…`) to the hardware path; undefined outside /sys/devices. */
export function hwPathFromDevicePath(path: string, sysfs: string): string | undefined {
  const prefix = `${sysfs}/devices/`;
  return path.startsWith(prefix) ? path.slice(sysfs.length) : undefined;
}

/** Every link's parent as `ip -j -d link show` reports it; entries of another shape are skipped. */
export function linkParents(dump: unknown): LinkParent[] {
  if (!Array.isArray(dump)) return [];
  return dump.flatMap((entry: unknown) => {
    if (typeof entry !== "object" || entry === null) return [];
    const { ifname, ifindex, parentbus, parentdev } = entry as Record<string, unknown>;
    if (typeof ifname !== "string" || typeof ifindex !== "number") return [];
    const text = (value: unknown) =>
      typeof value === "string" && value !== "" ? value : undefined;
    return [{ ifname, ifindex, bus: text(parentbus), device: text(parentdev) }];
  });
}

/** A name sysfs may hold as one path component. */
const safeComponent = (name: string) => name !== "." && name !== ".." && !name.includes("/");

/**
 * Reads a link's hardware path from sysfs. `/sys/class/net` lists the links
 * of the namespace that mounted /sys, so its entry counts only when its
 * ifindex is the link's; a link in another namespace (statenet's `netns`
 * option) is found from its parent device, which /sys/bus or /sys/class
 * lists whatever the namespace. Undefined when sysfs cannot tell.
 */
export async function readHwPath(
  link: LinkParent,
  options: { sysfs?: string; ownNamespace: boolean },
): Promise<string | undefined> {
  const sysfs = options.sysfs ?? "/sys";
  if (!link.device) return VIRTUAL_HW_PATH;
  if (options.ownNamespace && safeComponent(link.ifname)) {
    const entry = join(sysfs, "class/net", link.ifname);
    const [target, ifindex] = await Promise.all([
      readlink(entry).catch(() => undefined),
      readFile(join(entry, "ifindex"), "utf8").catch(() => undefined),
    ]);
    const path = target === undefined ? undefined : hwPathFromClassLink(target, link.ifname);
    if (path !== undefined && Number(ifindex?.trim()) === link.ifindex) return path;
  }
  if (!safeComponent(link.device)) return undefined;
  const device = link.device;
  const places =
    link.bus && safeComponent(link.bus)
      ? [join(sysfs, "bus", link.bus, "devices", device)]
      : // A parent on no bus (mac80211_hwsim's radios) is listed under its class.
        ((await readdir(join(sysfs, "class")).catch(() => [])) as string[])
          .filter(safeComponent)
          .map((name) => join(sysfs, "class", name, device));
  for (const place of places) {
    const real = await realpath(place).catch(() => undefined);
    const path = real === undefined ? undefined : hwPathFromDevicePath(real, sysfs);
    if (path !== undefined) return path;
  }
  return undefined;
}

/**
 * Hardware paths by link, read from sysfs once per link: a link's parent
 * device is fixed when the kernel registers it, and a rename changes only
 * the `/net/<ifname>` part the path leaves out. Keyed by ifindex and parent,
 * so that a reused ifindex on another device is read afresh.
 */
export class HwPathCache {
  readonly #paths = new Map<string, string>();

  constructor(private readonly options: { sysfs?: string; ownNamespace: boolean }) {}

  /** Paths by ifindex for the links of a `ip -j -d link show` dump; links sysfs cannot place are left out. */
  async lookup(linkDump: unknown): Promise<Map<number, string>> {
    const parents = linkParents(linkDump);
    const key = (link: LinkParent) => `${link.ifindex} ${link.bus ?? ""} ${link.device ?? ""}`;
    const keys = new Set(parents.map(key));
    for (const cached of this.#paths.keys()) if (!keys.has(cached)) this.#paths.delete(cached);
    const paths = new Map<number, string>();
    for (const link of parents) {
      const id = key(link);
      // Not found (the link went away mid-read, say) is asked again with the next dump.
      const path = this.#paths.get(id) ?? (await readHwPath(link, this.options));
      if (path === undefined) continue;
      this.#paths.set(id, path);
      paths.set(link.ifindex, path);
    }
    return paths;
  }
}
