import { constants, existsSync } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { findOnPath } from "../../src/preflight/probe.js";
import { insideVmLab } from "./in-vm.js";
import { cachedVmLab, vmLabCacheDir } from "./setup.js";

/** Whether the VM lab can run on this host, and if not, why (for a test's skip note). */

export type VmLabAvailability =
  | { available: true; accelerator: Accelerator }
  | { available: false; reason: string };

export type Accelerator = "kvm" | "tcg";

export const QEMU = "qemu-system-x86_64";

/**
 * KVM only with hardware virtualisation behind it. A nested `kvm_pvm`
 * /dev/kvm (no vmx/svm) opens, but runs a stock kernel by emulating it
 * instruction by instruction, slower than TCG, until it fails with "KVM
 * internal error ... emulation failure".
 */
export function chooseAccelerator(host: {
  cpuinfo: string;
  kvmPvmLoaded: boolean;
  kvmUsable: boolean;
}): Accelerator {
  const hardware = /^flags\s*:.*\b(vmx|svm)\b/m.test(host.cpuinfo);
  return hardware && host.kvmUsable && !host.kvmPvmLoaded ? "kvm" : "tcg";
}

export async function hostAccelerator(): Promise<Accelerator> {
  const cpuinfo = await readFile("/proc/cpuinfo", "utf8").catch(() => "");
  const kvmUsable = await access("/dev/kvm", constants.R_OK | constants.W_OK).then(
    () => true,
    () => false,
  );
  return chooseAccelerator({ cpuinfo, kvmUsable, kvmPvmLoaded: existsSync("/sys/module/kvm_pvm") });
}

export async function vmLabAvailability(): Promise<VmLabAvailability> {
  if (process.env.STATENET_VM_LAB === "0") {
    return { available: false, reason: "turned off by STATENET_VM_LAB=0" };
  }
  if (process.platform !== "linux" || process.arch !== "x64") {
    return { available: false, reason: "needs an x86-64 Linux host" };
  }
  if (insideVmLab()) return { available: false, reason: "already inside the VM lab" };
  if (!(await findOnPath(QEMU))) {
    return { available: false, reason: `needs ${QEMU}: apt-get install qemu-system-x86` };
  }
  const reason = await cacheUnpreparableReason();
  if (reason) return { available: false, reason };
  return { available: true, accelerator: await hostAccelerator() };
}

/** Why setup could not fill the cache; undefined when it is ready or can be made so. */
async function cacheUnpreparableReason(): Promise<string | undefined> {
  const cacheDir = vmLabCacheDir();
  if (await cachedVmLab(cacheDir)) return undefined;
  for (const tool of ["apt-get", "apt-cache", "dpkg-deb"]) {
    if (!(await findOnPath(tool))) {
      return `needs ${tool} to fetch the Debian kernel into ${cacheDir}`;
    }
  }
  // The cache directory, or the nearest directory above it that exists, must be writable.
  let dir = cacheDir;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  const writable = await access(dir, constants.W_OK).then(
    () => true,
    () => false,
  );
  return writable ? undefined : `cannot write ${cacheDir} (set STATENET_VM_CACHE)`;
}
