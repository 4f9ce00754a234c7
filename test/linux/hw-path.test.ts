import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HwPathCache,
  hwPathFromClassLink,
  hwPathFromDevicePath,
  linkParents,
  readHwPath,
} from "../../src/linux/hw-path.js";
import { parseLinkStates } from "../../src/linux/link-state.js";

const VIRTIO = "devices/pci0000:00/0000:00:10.0/virtio1";
const USB = "devices/platform/soc/3f980000.usb/usb1/1-1/1-1.3/1-1.3:1.0";
const HWSIM = "devices/virtual/mac80211_hwsim/hwsim0";

describe("a hardware path from sysfs names", () => {
  it("is the class link's target without ../ and /net/<ifname>, as VintageNet's", () => {
    expect(hwPathFromClassLink(`../../${VIRTIO}/net/eth0`, "eth0")).toBe(`/${VIRTIO}`);
    expect(hwPathFromClassLink(`../../${USB}/net/wwan0`, "wwan0")).toBe(`/${USB}`);
    expect(hwPathFromClassLink("../../devices/virtual/net/veth0", "veth0")).toBe(
      "/devices/virtual",
    );
  });

  it("is nothing for a target of another shape or another interface", () => {
    expect(hwPathFromClassLink(`../../${VIRTIO}/net/eth0`, "eth1")).toBeUndefined();
    expect(hwPathFromClassLink(`/sys/${VIRTIO}/net/eth0`, "eth0")).toBeUndefined();
    expect(hwPathFromClassLink("../../devices/net/eth0", "eth0")).toBeUndefined();
    expect(hwPathFromClassLink("../../bus/net/eth0", "eth0")).toBeUndefined();
  });

  it("is a device's real path without the sysfs mount point", () => {
    expect(hwPathFromDevicePath(`/sys/${VIRTIO}`, "/sys")).toBe(`/${VIRTIO}`);
    expect(hwPathFromDevicePath("/sys/bus/virtio/devices/virtio1", "/sys")).toBeUndefined();
    expect(hwPathFromDevicePath(`/elsewhere/${VIRTIO}`, "/sys")).toBeUndefined();
  });

  it("takes each link's parent from `ip -j -d link show`, skipping odd entries", () => {
    expect(
      linkParents([
        { ifname: "eth0", ifindex: 2, parentbus: "virtio", parentdev: "virtio1" },
        { ifname: "wlan0", ifindex: 3, parentdev: "hwsim0" },
        { ifname: "veth0", ifindex: 4, parentbus: "" },
        { ifname: 5 },
        null,
      ]),
    ).toEqual([
      { ifname: "eth0", ifindex: 2, bus: "virtio", device: "virtio1" },
      { ifname: "wlan0", ifindex: 3, bus: undefined, device: "hwsim0" },
      { ifname: "veth0", ifindex: 4, bus: undefined, device: undefined },
    ]);
    expect(linkParents({})).toEqual([]);
  });
});

describe("reading hardware paths from a sysfs tree", () => {
  let sysfs: string;

  /** A symlink at `path` (under sysfs) to `target` (under sysfs), relative as the kernel makes them. */
  const link = async (path: string, target: string) => {
    const full = join(sysfs, path);
    await mkdir(dirname(full), { recursive: true });
    const depth = path.split("/").length - 1;
    await symlink(`${"../".repeat(depth)}${target}`, full);
  };

  beforeAll(async () => {
    sysfs = await mkdtemp(join(tmpdir(), "statenet-sysfs-"));
    for (const device of [VIRTIO, USB, HWSIM])
      await mkdir(join(sysfs, device), { recursive: true });
    await mkdir(join(sysfs, VIRTIO, "net/eth0"), { recursive: true });
    await writeFile(join(sysfs, VIRTIO, "net/eth0/ifindex"), "2\n");
    await link("class/net/eth0", `${VIRTIO}/net/eth0`);
    await link("bus/virtio/devices/virtio1", VIRTIO);
    await link("bus/usb/devices/1-1.3:1.0", USB);
    await link("class/mac80211_hwsim/hwsim0", HWSIM);
    await mkdir(join(sysfs, "class/leds"), { recursive: true });
  });

  afterAll(async () => {
    await rm(sysfs, { recursive: true, force: true });
  });

  const read = (parent: Parameters<typeof readHwPath>[0], ownNamespace = true) =>
    readHwPath(parent, { sysfs, ownNamespace });

  it("reads /sys/class/net when the link is this namespace's", async () => {
    expect(await read({ ifname: "eth0", ifindex: 2, device: "whatever" })).toBe(`/${VIRTIO}`);
  });

  it("finds the parent by its bus when /sys/class/net has another link of that name", async () => {
    expect(await read({ ifname: "eth0", ifindex: 7, bus: "virtio", device: "virtio1" })).toBe(
      `/${VIRTIO}`,
    );
  });

  it("finds the parent by its bus for a link of another namespace", async () => {
    const usb = { ifname: "wwan0", ifindex: 9, bus: "usb", device: "1-1.3:1.0" };
    expect(await read(usb, false)).toBe(`/${USB}`);
  });

  it("finds a parent on no bus under its class", async () => {
    expect(await read({ ifname: "wlan0", ifindex: 4, device: "hwsim0" }, false)).toBe(`/${HWSIM}`);
  });

  it("is /devices/virtual for a link without a parent, without reading anything", async () => {
    expect(await read({ ifname: "veth0", ifindex: 5 })).toBe("/devices/virtual");
  });

  it("is nothing when sysfs does not know the parent, or its name is not a path component", async () => {
    expect(await read({ ifname: "eth9", ifindex: 6, bus: "pci", device: "0000:00:1f.0" })).toBe(
      undefined,
    );
    expect(await read({ ifname: "eth9", ifindex: 6, bus: "virtio", device: ".." })).toBe(undefined);
    expect(await read({ ifname: "eth9", ifindex: 6, bus: "..", device: "virtio1" }, false)).toBe(
      undefined,
    );
  });

  it("caches by link and parent, and reads a reused ifindex on another device afresh", async () => {
    const cache = new HwPathCache({ sysfs, ownNamespace: false });
    const dump = (device: string, bus?: string) => [
      { ifname: "eth0", ifindex: 2, parentbus: bus, parentdev: device },
      { ifname: "veth0", ifindex: 3 },
      { ifname: "eth9", ifindex: 4, parentbus: "pci", parentdev: "0000:00:1f.0" },
    ];
    expect(await cache.lookup(dump("virtio1", "virtio"))).toEqual(
      new Map([
        [2, `/${VIRTIO}`],
        [3, "/devices/virtual"],
      ]),
    );
    expect((await cache.lookup(dump("1-1.3:1.0", "usb"))).get(2)).toBe(`/${USB}`);
  });

  it("gives link states their full path, and the short one where sysfs could not tell", () => {
    const links = [
      {
        ifname: "eth0",
        ifindex: 2,
        flags: ["BROADCAST"],
        parentbus: "virtio",
        parentdev: "virtio1",
      },
      {
        ifname: "eth1",
        ifindex: 3,
        flags: ["BROADCAST"],
        parentbus: "pci",
        parentdev: "0000:00:1f.0",
      },
    ];
    const states = parseLinkStates(links, [], new Map([[2, `/${VIRTIO}`]]));
    expect(states.get("eth0")?.hwPath).toBe(`/${VIRTIO}`);
    expect(states.get("eth1")?.hwPath).toBe("/devices/pci/0000:00:1f.0");
  });
});
