// vm-lab: nics=2
import { randomBytes } from "node:crypto";
import { readdir, readlink, realpath, writeFile } from "node:fs/promises";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { requireVmLab } from "../../lab/vm/in-vm.js";
import { loadRadios, moveRadio, unloadRadios } from "../../lab/vm/radios.js";
import { NIC_PCI_SLOTS } from "../../lab/vm/run-in-vm.js";
import type { IfnameRule } from "../../src/ifnames/rename-plan.js";
import { hwPathFromClassLink } from "../../src/linux/hw-path.js";
import type { NetworkManager } from "../../src/network-manager.js";
import { captureLogs } from "../support/capture-logs.js";
import { type LabManager, startLabManager } from "../support/lab-manager.js";
import { waitUntil } from "../support/wait.js";

// Runs inside the VM lab (test/vm/vm-lab.test.ts boots it); anywhere else it fails here.
requireVmLab();

/**
 * Predictable interface names on real PCI NICs: the VM has two virtio-net
 * NICs (the pragma above), whose interfaces the kernel names eth0, eth1 in
 * the order their driver binds. Binding them by hand in either order is an
 * enumeration in that order; each interface then moves into the manager's
 * namespace, where it appears as a hot-plugged NIC would.
 */

const SLOW = 90_000;
const VIRTIO_NET = "/sys/bus/virtio/drivers/virtio_net";

interface Nic {
  /** The virtio device the driver binds, e.g. `virtio1`. */
  virtio: string;
  /** Its full sysfs path, as the manager must publish it. */
  hwPath: string;
}

let nics: [Nic, Nic];

/** The virtio device behind the NIC in a PCI slot. */
async function nicInSlot(slot: number): Promise<Nic> {
  const pci = `/sys/bus/pci/devices/0000:00:${slot.toString(16).padStart(2, "0")}.0`;
  const virtio = (await readdir(pci)).find((name) => /^virtio\d+$/.test(name));
  if (!virtio) throw new Error(`no virtio device under ${pci}`);
  const hwPath = (await realpath(`${pci}/${virtio}`)).slice("/sys".length);
  return { virtio, hwPath };
}

/** The interface the driver made for a NIC, once it is there. */
function interfaceOf(nic: Nic): Promise<string> {
  return waitUntil(
    `an interface for ${nic.virtio}`,
    async () =>
      (await readdir(`/sys/bus/virtio/devices/${nic.virtio}/net`).catch(() => []))[0] as
        | string
        | undefined,
    SLOW,
    20,
  );
}

async function unbindAll(): Promise<void> {
  for (const nic of nics) {
    const bound = await readlink(`${VIRTIO_NET}/${nic.virtio}`).catch(() => undefined);
    if (bound !== undefined) await writeFile(`${VIRTIO_NET}/unbind`, nic.virtio);
  }
}

/** Binds the NICs in this order: the kernel names their interfaces eth0, eth1 as they come. */
async function enumerate(order: readonly Nic[]): Promise<string[]> {
  const names: string[] = [];
  for (const nic of order) {
    await writeFile(`${VIRTIO_NET}/bind`, nic.virtio);
    names.push(await interfaceOf(nic));
  }
  return names;
}

const ipJson = async (ns: string, ...args: string[]) =>
  JSON.parse((await execa("ip", ["-n", ns, "-j", ...args])).stdout) as Array<{
    ifname: string;
  }>;
const linkNames = async (ns: string) =>
  (await ipJson(ns, "link", "show")).map((link) => link.ifname).sort();

describe("ifnames on virtio-net PCI NICs", () => {
  const namespaces: string[] = [];
  let managed: LabManager | undefined;

  const newNamespace = async () => {
    const ns = `sn-ifnames-${randomBytes(3).toString("hex")}`;
    await execa("ip", ["netns", "add", ns]);
    namespaces.push(ns);
    return ns;
  };

  /** A manager in `ns` with these rules; every `interface/<if>/present: true` it ever published is recorded. */
  const start = async (ns: string, ifnames: IfnameRule[]) => {
    const logs = captureLogs("info");
    managed = await startLabManager(
      { deviceNs: ns },
      {
        ifnames,
        interfaces: {
          lanA: {
            type: "ethernet",
            ipv4: { method: "static", address: "192.0.2.1", prefixLength: 24 },
          },
        },
      },
      { logger: logs.logger, persistence: null },
    );
    const manager: NetworkManager = managed.manager;
    const seen = new Set<string>();
    for (const [key, value] of manager.match(["interface", "*", "present"])) {
      if (value === true) seen.add(key[1] as string);
    }
    manager.subscribe(["interface"], (change) => {
      if (change.key[2] === "present" && change.new === true) seen.add(change.key[1] as string);
    });
    return { manager, logs, seen };
  };

  const refusals = (lines: Array<Record<string, unknown>>, reason: string) =>
    lines.filter((line) => line.action === "refuse" && line.reason === reason);

  beforeAll(async () => {
    await execa("modprobe", ["virtio_net"]);
    nics = [await nicInSlot(NIC_PCI_SLOTS[0]), await nicInSlot(NIC_PCI_SLOTS[1])];
    // Bound at load, in PCI order: the path VintageNet would read is the one we expect.
    for (const nic of nics) {
      const ifname = await interfaceOf(nic);
      const target = await readlink(`/sys/class/net/${ifname}`);
      expect(hwPathFromClassLink(target, ifname)).toBe(nic.hwPath);
    }
    expect(nics[0].hwPath).toMatch(/^\/devices\/pci0000:00\/0000:00:10\.0\/virtio\d+$/);
    await unbindAll();
  }, SLOW);

  afterEach(async () => {
    await managed?.stop();
    managed = undefined;
    // Unbinding destroys the interfaces, wherever they are.
    await unbindAll();
    await unloadRadios();
    for (const ns of namespaces.splice(0)) await execa("ip", ["netns", "del", ns]);
  }, SLOW);

  afterAll(async () => {
    await execa("modprobe", ["--remove", "virtio_net"]).catch(() => undefined);
  });

  for (const [label, order] of [
    ["in PCI order", [0, 1]],
    ["in reverse order", [1, 0]],
  ] as const) {
    it(`gives each NIC its configured name when they enumerate ${label}`, async () => {
      const ns = await newNamespace();
      const [a, b] = nics;
      const { manager, seen } = await start(ns, [
        { hwPath: a.hwPath, ifname: "lanA" },
        { hwPath: b.hwPath, ifname: "lanB" },
      ]);
      const kernelNames = await enumerate(order.map((index) => nics[index] as Nic));
      expect(kernelNames).toEqual(["eth0", "eth1"]);
      // Appearing in the manager's namespace, one after the other, as hot-plugged NICs do.
      for (const ifname of kernelNames) {
        await execa("ip", ["link", "set", "dev", ifname, "netns", ns]);
      }
      await waitUntil(
        "lanA and lanB present",
        () =>
          manager.get(["interface", "lanA", "present"]) &&
          manager.get(["interface", "lanB", "present"]),
        SLOW,
        20,
      );
      expect(await linkNames(ns)).toEqual(["lanA", "lanB", "lo"]);
      expect(manager.get(["interface", "lanA", "hw_path"])).toBe(a.hwPath);
      expect(manager.get(["interface", "lanB", "hw_path"])).toBe(b.hwPath);
      // Nothing in the manager ever saw the names the kernel gave.
      expect([...seen].sort()).toEqual(["lanA", "lanB"]);
      // lanA is configured under its new name.
      await waitUntil(
        "lanA configured with its address",
        async () =>
          JSON.stringify(await ipJson(ns, "addr", "show", "dev", "lanA")).includes("192.0.2.1"),
        SLOW,
        50,
      );
    });
  }

  it("renames NICs present when it starts", async () => {
    const ns = await newNamespace();
    const [a, b] = nics;
    for (const ifname of await enumerate([b, a])) {
      await execa("ip", ["link", "set", "dev", ifname, "netns", ns]);
    }
    const { manager, seen } = await start(ns, [
      { hwPath: a.hwPath, ifname: "lanA" },
      { hwPath: b.hwPath, ifname: "lanB" },
    ]);
    expect(await linkNames(ns)).toEqual(["lanA", "lanB", "lo"]);
    expect([...seen].sort()).toEqual(["lanA", "lanB"]);
    expect(manager.get(["interface", "lanB", "hw_path"])).toBe(b.hwPath);
  });

  it("leaves a NIC alone when its name is taken, and says why; virtual links too", async () => {
    const ns = await newNamespace();
    const [a] = nics;
    // A dummy holds the name first; itself, it is virtual: never renamed.
    await execa("ip", ["-n", ns, "link", "add", "lanA", "type", "dummy"]);
    const { manager, logs } = await start(ns, [{ hwPath: a.hwPath, ifname: "lanA" }]);
    expect(refusals(logs.lines, "virtual").map((line) => line.ifname)).toEqual(["lanA"]);
    const [ifname] = await enumerate([a]);
    await execa("ip", ["link", "set", "dev", ifname as string, "netns", ns]);
    const [refusal] = await waitUntil(
      "the refusal",
      () => {
        const found = refusals(logs.lines, "name-taken");
        return found.length > 0 && found;
      },
      SLOW,
      20,
    );
    expect(refusal).toMatchObject({ ifname: "eth0", to: "lanA", hwPath: a.hwPath });
    expect(String(refusal?.msg)).toContain("another interface");
    await waitUntil("eth0 published", () => manager.get(["interface", "eth0", "present"]), SLOW);
    expect(manager.get(["interface", "eth0", "hw_path"])).toBe(a.hwPath);
    expect(manager.get(["interface", "lanA", "hw_path"])).toBe("/devices/virtual");
    expect(await linkNames(ns)).toEqual(["eth0", "lanA", "lo"]);
    // A veth, later: refused as virtual as well.
    await execa("ip", ["-n", ns, "link", "add", "vethX", "type", "veth", "peer", "name", "vethY"]);
    await waitUntil(
      "veths refused as virtual",
      () => refusals(logs.lines, "virtual").length === 3,
      SLOW,
      20,
    );
    expect(await linkNames(ns)).toEqual(["eth0", "lanA", "lo", "vethX", "vethY"]);
  });

  it("renames only the first interface of a device, and never one renamed since", async () => {
    // One radio's wiphy can have several interfaces, all under the same parent device.
    const [radio] = await loadRadios(1);
    if (!radio) throw new Error("no radio");
    const hwsim = (await readdir("/sys/class/mac80211_hwsim"))[0] as string;
    const hwPath = (await realpath(`/sys/class/mac80211_hwsim/${hwsim}`)).slice("/sys".length);
    const ns = await newNamespace();
    const { manager, logs } = await start(ns, [{ hwPath, ifname: "radio0" }]);
    await moveRadio(radio, ns);
    await waitUntil("radio0", () => manager.get(["interface", "radio0", "present"]), SLOW, 20);
    expect(manager.get(["interface", "radio0", "hw_path"])).toBe(hwPath);

    await execa("ip", [
      "netns",
      "exec",
      ns,
      "iw",
      "dev",
      "radio0",
      "interface",
      "add",
      "wlan9",
      "type",
      "managed",
    ]);
    const [second] = await waitUntil(
      "the second match refused",
      () => {
        const found = refusals(logs.lines, "second-match");
        return found.length > 0 && found;
      },
      SLOW,
      20,
    );
    expect(second).toMatchObject({ ifname: "wlan9", to: "radio0", matchedBy: "radio0" });
    await waitUntil(
      "wlan9 published",
      () => manager.get(["interface", "wlan9", "hw_path"]) === hwPath,
      SLOW,
    );

    // Someone renames it: statenet does not fight them.
    await execa("ip", ["-n", ns, "link", "set", "dev", "radio0", "name", "mine"]);
    const [again] = await waitUntil(
      "the rename refused",
      () => {
        const found = refusals(logs.lines, "already-renamed");
        return found.length > 0 && found;
      },
      SLOW,
      20,
    );
    expect(again).toMatchObject({ ifname: "mine", to: "radio0" });
    await waitUntil("mine published", () => manager.get(["interface", "mine", "present"]), SLOW);
    expect(await linkNames(ns)).toEqual(["lo", "mine", "wlan9"]);
  });
});
