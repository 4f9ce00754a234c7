import { createHash, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import {
  access,
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { basename, join } from "node:path";
import { gzipSync } from "node:zlib";
import { execa } from "execa";
import { findOnPath } from "../../src/preflight/probe.js";
import { type CpioEntry, cpioArchive } from "./cpio.js";
import { extractVmlinux } from "./kernel-image.js";

/**
 * Prepares what the VM lab boots: a Debian kernel, its module tree, kmod and a
 * static busybox, fetched with `apt-get download` and unpacked into a cache
 * directory (not installed: the kernel package would pull udev and
 * initramfs-tools onto the host, and busybox-static replaces its busybox),
 * plus an initramfs with the modules needed to mount the host's root and the
 * lab's /init. Each part is built beside its final place and renamed into it,
 * so an interrupted or concurrent setup leaves nothing half made; a second
 * call finds everything and only stats files.
 */

export interface VmLabPaths {
  cacheDir: string;
  /** `uname -r` of the VM, e.g. 6.1.0-57-amd64. */
  kernelRelease: string;
  /** The kernel QEMU boots: the ELF vmlinux, or the bzImage when xz is missing. */
  kernel: string;
  initramfs: string;
  /** The module tree, depmod'ed; the VM mounts it at /lib/modules/<release>. */
  modulesDir: string;
  /** The kmod binary; the VM links modprobe & co. to it. */
  kmod: string;
}

export type VmLabSetupStep = "cache" | "tools" | "download" | "unpack" | "kernel" | "initramfs";

export class VmLabSetupError extends Error {
  constructor(
    readonly step: VmLabSetupStep,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`VM lab setup (${step}): ${message}`, options);
    this.name = "VmLabSetupError";
  }
}

export const DEFAULT_CACHE_DIR = "/var/cache/statenet-vm-lab";

/** `$STATENET_VM_CACHE`, or /var/cache/statenet-vm-lab. */
export function vmLabCacheDir(): string {
  return process.env.STATENET_VM_CACHE || DEFAULT_CACHE_DIR;
}

/** Modules the initramfs loads itself, to mount the host's root over 9p and the overlay. */
const EARLY_MODULES = ["virtio_pci", "virtio_rng", "9pnet_virtio", "9p", "overlay"];

const GUEST_INIT = new URL("./guest-init.sh", import.meta.url);

/** Bump when the initramfs layout changes in a way the hash below does not see. */
const INITRAMFS_FORMAT = 1;

type Part = "kmod" | "busybox" | "kernel";

const PACKAGES: Record<Exclude<Part, "kernel">, string> = {
  kmod: "kmod",
  busybox: "busybox-static",
};

/** A file that exists only once its part is complete. */
const COMPLETE_MARK: Record<Part, string> = {
  kmod: "bin/depmod",
  busybox: "bin/busybox",
  kernel: "modules-ready",
};

/** Whether the cache holds a prepared lab; undefined unless every part is there. */
export async function cachedVmLab(cacheDir = vmLabCacheDir()): Promise<VmLabPaths | undefined> {
  try {
    const paths = JSON.parse(await readFile(join(cacheDir, "lab.json"), "utf8")) as VmLabPaths;
    const files = [
      paths.kernel,
      paths.initramfs,
      paths.kmod,
      join(paths.modulesDir, "modules.dep"),
    ];
    await Promise.all(files.map((file) => access(file, constants.R_OK)));
    if (paths.initramfs !== (await initramfsPath(cacheDir, paths.kernelRelease))) return undefined;
    return paths;
  } catch {
    return undefined;
  }
}

/** Makes the lab bootable (downloading what is missing) and says where everything is. */
export async function prepareVmLab(
  options: { cacheDir?: string; log?: (line: string) => void } = {},
): Promise<VmLabPaths> {
  const cacheDir = options.cacheDir ?? vmLabCacheDir();
  const log = options.log ?? (() => {});
  const cached = await cachedVmLab(cacheDir);
  if (cached) return cached;

  try {
    await mkdir(cacheDir, { recursive: true });
    await access(cacheDir, constants.W_OK);
  } catch (error) {
    throw new VmLabSetupError("cache", `cannot write ${cacheDir} (set STATENET_VM_CACHE)`, {
      cause: error,
    });
  }
  await removeAbandonedWork(cacheDir);

  const missing: Part[] = [];
  for (const part of ["kmod", "busybox", "kernel"] as const) {
    if (!(await exists(join(cacheDir, part, COMPLETE_MARK[part])))) missing.push(part);
  }
  if (missing.length > 0) await fetchParts(cacheDir, missing, log);

  const kernelRelease = await onlyKernelRelease(cacheDir);
  const paths: VmLabPaths = {
    cacheDir,
    kernelRelease,
    kernel: await bootableKernel(cacheDir, kernelRelease, log),
    initramfs: await buildInitramfs(cacheDir, kernelRelease, log),
    modulesDir: join(cacheDir, "kernel/lib/modules", kernelRelease),
    kmod: join(cacheDir, "kmod/bin/kmod"),
  };
  await publishFile(join(cacheDir, "lab.json"), `${JSON.stringify(paths, null, 2)}\n`);
  return paths;
}

async function fetchParts(cacheDir: string, parts: Part[], log: (line: string) => void) {
  const tools = ["apt-get", "apt-cache", "dpkg-deb"];
  for (const tool of tools) {
    if (!(await findOnPath(tool))) {
      throw new VmLabSetupError("tools", `needs ${tool} (a Debian host) to fetch the kernel`);
    }
  }
  const names = new Map<Part, string>();
  for (const part of parts) {
    names.set(part, part === "kernel" ? await kernelPackage() : PACKAGES[part]);
  }
  const work = await mkdtemp(join(cacheDir, ".work-"));
  try {
    // apt-get download drops to the _apt user, which must be able to write here.
    await chmod(work, 0o777);
    log(`downloading ${[...names.values()].join(" ")}`);
    await run("download", "apt-get", ["download", ...names.values()], work);
    const debs = await readdir(work);
    for (const part of parts) {
      const name = names.get(part) as string;
      const deb = debs.find((file) => file.startsWith(`${name}_`) && file.endsWith(".deb"));
      if (!deb) throw new VmLabSetupError("download", `apt-get download left no ${name}_*.deb`);
      const tree = join(work, part);
      log(`unpacking ${deb}`);
      await run("unpack", "dpkg-deb", ["-x", join(work, deb), tree], work);
      await rm(join(work, deb));
      if (part === "kmod") await linkKmodTools(tree);
      if (part === "kernel") await depmod(cacheDir, tree, log);
      await publishDirectory(tree, join(cacheDir, part));
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The concrete kernel package behind the linux-image-amd64 metapackage. */
async function kernelPackage(): Promise<string> {
  const resolve = async () => {
    const result = await execa("apt-cache", ["depends", "linux-image-amd64"], { reject: false });
    return /Depends: (linux-image-\d\S*)/.exec(String(result.stdout))?.[1];
  };
  let name = await resolve();
  if (!name && process.getuid?.() === 0) {
    // A fresh host may have no package lists yet.
    await run("download", "apt-get", ["update", "-qq"], "/");
    name = await resolve();
  }
  if (!name) {
    throw new VmLabSetupError(
      "download",
      "apt-cache knows no linux-image-amd64 (run apt-get update as root)",
    );
  }
  return name;
}

/** kmod picks the tool it acts as from its name; the package's links point at /bin/kmod, absent here. */
async function linkKmodTools(tree: string): Promise<void> {
  for (const tool of ["modprobe", "depmod"]) {
    await rm(join(tree, "bin", tool), { force: true });
    await symlink("kmod", join(tree, "bin", tool));
  }
}

async function depmod(cacheDir: string, tree: string, log: (line: string) => void) {
  const release = await onlyKernelRelease(tree, ".");
  log(`depmod ${release}`);
  await run("unpack", join(cacheDir, "kmod/bin/depmod"), ["-b", tree, release], tree);
  await writeFile(join(tree, COMPLETE_MARK.kernel), `${release}\n`);
}

async function onlyKernelRelease(root: string, kernelPart = "kernel"): Promise<string> {
  const releases = await readdir(join(root, kernelPart, "lib/modules")).catch(() => []);
  if (releases.length !== 1) {
    throw new VmLabSetupError(
      "kernel",
      `expected one kernel in ${join(root, kernelPart)}, found ${releases.length}`,
    );
  }
  return releases[0] as string;
}

async function bootableKernel(cacheDir: string, release: string, log: (line: string) => void) {
  const vmlinux = join(cacheDir, "kernel/boot/vmlinux");
  if (await exists(vmlinux)) return vmlinux;
  const bzImage = join(cacheDir, `kernel/boot/vmlinuz-${release}`);
  let image: Buffer | undefined;
  try {
    image = await extractVmlinux(await readFile(bzImage));
  } catch (error) {
    throw new VmLabSetupError("kernel", `cannot extract vmlinux from ${bzImage}`, { cause: error });
  }
  if (!image) {
    log("no xz on this host: booting the compressed kernel (about 5 s slower per boot)");
    return bzImage;
  }
  await publishFile(vmlinux, image);
  log(`extracted ${vmlinux}`);
  return vmlinux;
}

async function initramfsPath(cacheDir: string, release: string): Promise<string> {
  const hash = createHash("sha256")
    .update(`${INITRAMFS_FORMAT}\n${release}\n${EARLY_MODULES.join(" ")}\n`)
    .update(await readFile(GUEST_INIT))
    .digest("hex")
    .slice(0, 12);
  return join(cacheDir, `initramfs-${hash}.cpio.gz`);
}

async function buildInitramfs(cacheDir: string, release: string, log: (line: string) => void) {
  const path = await initramfsPath(cacheDir, release);
  if (await exists(path)) return path;
  const modules = await earlyModuleFiles(cacheDir, release);
  const entries: CpioEntry[] = [
    ...["bin", "dev", "proc", "sys", "modules"].map((dir) => ({
      type: "directory" as const,
      path: dir,
    })),
    { type: "char-device", path: "dev/console", major: 5, minor: 1 },
    {
      type: "file",
      path: "bin/busybox",
      data: await readFile(join(cacheDir, "busybox/bin/busybox")),
      mode: 0o755,
    },
    { type: "symlink", path: "bin/sh", target: "busybox" },
    { type: "file", path: "init", data: await readFile(GUEST_INIT), mode: 0o755 },
    {
      type: "file",
      path: "modules/order",
      data: Buffer.from(`${modules.map((file) => basename(file)).join("\n")}\n`),
    },
  ];
  for (const file of modules) {
    entries.push({ type: "file", path: `modules/${basename(file)}`, data: await readFile(file) });
  }
  await publishFile(path, gzipSync(cpioArchive(entries), { level: 1 }));
  log(`built ${path} (modules: ${modules.map((file) => basename(file)).join(" ")})`);
  await removeStaleInitramfs(cacheDir, path);
  return path;
}

/** The .ko files of the early modules and their dependencies, in loading order. */
async function earlyModuleFiles(cacheDir: string, release: string): Promise<string[]> {
  const files: string[] = [];
  for (const module of EARLY_MODULES) {
    const { stdout } = await run(
      "initramfs",
      join(cacheDir, "kmod/bin/modprobe"),
      ["-d", join(cacheDir, "kernel"), "-S", release, "--show-depends", module],
      cacheDir,
    );
    // "insmod <path> [options]" per module; "builtin <name>" needs nothing.
    for (const line of stdout.split("\n")) {
      const path = /^insmod (\S+)/.exec(line)?.[1];
      if (path && !files.includes(path)) files.push(path);
    }
  }
  return files;
}

async function run(step: VmLabSetupStep, file: string, args: string[], cwd: string) {
  const result = await execa(file, args, { cwd, reject: false, env: { LC_ALL: "C" } });
  if (result.exitCode !== 0) {
    const output = `${String(result.stderr)}\n${String(result.stdout)}`.trim().slice(-2000);
    throw new VmLabSetupError(step, `${basename(file)} ${args.join(" ")} failed: ${output}`);
  }
  return { stdout: String(result.stdout) };
}

/** Moves a finished directory into place; when another setup got there first, keeps theirs. */
async function publishDirectory(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
    await rm(from, { recursive: true, force: true });
  }
}

async function publishFile(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}

/** Initramfs images of earlier /init versions; an hour's grace for a run about to boot one. */
async function removeStaleInitramfs(cacheDir: string, current: string): Promise<void> {
  for (const name of await readdir(cacheDir)) {
    const path = join(cacheDir, name);
    if (!/^initramfs-[0-9a-f]+\.cpio\.gz$/.test(name) || path === current) continue;
    const { mtimeMs } = await stat(path);
    if (Date.now() - mtimeMs > 3_600_000) await rm(path, { force: true });
  }
}

/** Work directories of setups that were killed (over an hour old): hundreds of MB each. */
async function removeAbandonedWork(cacheDir: string): Promise<void> {
  for (const name of await readdir(cacheDir)) {
    if (!name.startsWith(".work-")) continue;
    const { mtimeMs } = await stat(join(cacheDir, name));
    if (Date.now() - mtimeMs > 3_600_000) {
      await rm(join(cacheDir, name), { recursive: true, force: true });
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
