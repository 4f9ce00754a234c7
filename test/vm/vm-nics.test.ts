import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { NIC_PCI_SLOTS, nicArguments, runInVm } from "../../lab/vm/run-in-vm.js";
import { declaredVmOptions } from "../../lab/vm/vm-tests.js";

describe("the VM lab's NICs", () => {
  it("are virtio-net PCI devices at fixed addresses, on a hub and nothing else", () => {
    const args = nicArguments(2);
    expect(args).toEqual([
      "-netdev",
      "hubport,id=nic0,hubid=0",
      "-device",
      "virtio-net-pci,netdev=nic0,addr=0x10,mac=52:54:00:00:00:01",
      "-netdev",
      "hubport,id=nic1,hubid=0",
      "-device",
      "virtio-net-pci,netdev=nic1,addr=0x11,mac=52:54:00:00:00:02",
    ]);
    // No backend that reaches the host: every netdev is a hub port.
    const netdevs = args.filter((_, index) => args[index - 1] === "-netdev");
    expect(netdevs.every((netdev) => netdev.startsWith("hubport,"))).toBe(true);
    expect(nicArguments(0)).toEqual([]);
  });

  it("are refused beyond the fixed slots, naming the option, before booting anything", async () => {
    const run = (nics: number) => runInVm({ command: ["true"], cwd: tmpdir(), nics });
    await expect(run(NIC_PCI_SLOTS.length + 1)).rejects.toMatchObject({ field: "nics" });
    await expect(run(-1)).rejects.toMatchObject({ field: "nics" });
    await expect(run(1.5)).rejects.toMatchObject({ field: "nics" });
  });

  it("are asked for by a VM test file in a line of its own", () => {
    expect(declaredVmOptions("// vm-lab: nics=2\nimport x;")).toEqual({ nics: 2 });
    expect(declaredVmOptions("import x; // vm-lab: nics=2")).toEqual({});
    expect(declaredVmOptions("import x;")).toEqual({});
  });
});
