import { describe, expect, it } from "vitest";
import { chooseAccelerator, vmLabAvailability } from "../../lab/vm/availability.js";

const withVmx = "processor\t: 0\nflags\t\t: fpu vme de pse tsc msr vmx sse2\n";
const withSvm = "processor\t: 0\nflags\t\t: fpu svm sse2\n";
const without = "processor\t: 0\nflags\t\t: fpu vme hypervisor sse2\n";

describe("chooseAccelerator", () => {
  it("uses KVM only with hardware virtualisation and a usable /dev/kvm", () => {
    expect(chooseAccelerator({ cpuinfo: withVmx, kvmUsable: true, kvmPvmLoaded: false })).toBe(
      "kvm",
    );
    expect(chooseAccelerator({ cpuinfo: withSvm, kvmUsable: true, kvmPvmLoaded: false })).toBe(
      "kvm",
    );
    expect(chooseAccelerator({ cpuinfo: withVmx, kvmUsable: false, kvmPvmLoaded: false })).toBe(
      "tcg",
    );
  });

  it("emulates (TCG) under a nested kvm_pvm, which opens but cannot run a stock kernel", () => {
    expect(chooseAccelerator({ cpuinfo: without, kvmUsable: true, kvmPvmLoaded: true })).toBe(
      "tcg",
    );
    expect(chooseAccelerator({ cpuinfo: withVmx, kvmUsable: true, kvmPvmLoaded: true })).toBe(
      "tcg",
    );
  });

  it("does not take a word inside another flag for vmx", () => {
    const cpuinfo = "flags\t\t: fpu vmx_ept sse2\n";
    expect(chooseAccelerator({ cpuinfo, kvmUsable: true, kvmPvmLoaded: false })).toBe("tcg");
  });
});

describe("vmLabAvailability", () => {
  it("says why when the lab is turned off", async () => {
    const saved = process.env.STATENET_VM_LAB;
    process.env.STATENET_VM_LAB = "0";
    try {
      expect(await vmLabAvailability()).toEqual({
        available: false,
        reason: "turned off by STATENET_VM_LAB=0",
      });
    } finally {
      if (saved === undefined) delete process.env.STATENET_VM_LAB;
      else process.env.STATENET_VM_LAB = saved;
    }
  });
});
