import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdtemp, readFile, realpath, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { execa } from "execa";
import { processExit, terminate } from "../../src/linux/terminate.js";
import { type Accelerator, hostAccelerator, QEMU } from "./availability.js";
import { prepareVmLab, type VmLabPaths } from "./setup.js";

/**
 * Runs one command in a throw-away QEMU VM that boots the lab's Debian kernel
 * (which has cfg80211, mac80211 and mac80211_hwsim as modules) on the host's
 * own root filesystem, read-only under a RAM overlay. The working directory is
 * shared read-write at the same path and the command starts there, as root.
 * The VM has no network device to the outside: nothing it does leaves it.
 * `nics` adds virtio-net NICs (real PCI devices to the guest, for naming by
 * hardware path) wired only to one QEMU hub inside QEMU, with no backend
 * that reaches the host.
 */

export interface RunInVmOptions {
  command: readonly string[];
  /** Shared read-write at the same path inside the VM; the command starts here. */
  cwd: string;
  /** Added to a clean environment (PATH and HOME are set); nothing is inherited from the host. */
  env?: Readonly<Record<string, string>>;
  /** Guest memory, default 512 MiB (192 is enough for node; vitest wants more). */
  memoryMb?: number;
  /** vCPUs, default 1: under TCG on a loaded host two are slower than one. */
  cpus?: number;
  /**
   * virtio-net PCI NICs, default 0, at fixed PCI addresses (NIC_PCI_SLOTS),
   * connected only to each other through a QEMU hub. The guest loads no
   * driver for them: `modprobe virtio_net` makes their interfaces.
   */
  nics?: number;
  /** The VM is killed after this long (default 10 minutes), boot included. */
  timeoutMs?: number;
  /** The command's output (stdout and stderr merged) as it arrives. */
  onOutput?: (text: string) => void;
  /** A prepared lab; prepared (or found in the cache) when absent. */
  lab?: VmLabPaths;
  accelerator?: Accelerator;
}

export interface VmRunResult {
  exitCode: number;
  /** stdout and stderr of the command, merged (the last 8 MiB). */
  output: string;
  /** From starting QEMU to the command starting in the VM. */
  bootMs: number | undefined;
  durationMs: number;
  /** The kernel's console log, kept when the command failed; undefined otherwise. */
  consoleLog: string | undefined;
}

export class VmRunOptionError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`runInVm ${field}: ${message}`);
    this.name = "VmRunOptionError";
  }
}

/** The VM did not report the command's exit status. */
export class VmRunError extends Error {
  constructor(
    readonly kind: "timeout" | "init" | "no-exit-status" | "output-handler",
    message: string,
    /** The kernel's console log, kept for a look. */
    readonly consoleLog: string,
    /** What the command printed before things went wrong. */
    readonly output: string,
    options?: { cause?: unknown },
  ) {
    super(`${message} (kernel console log: ${consoleLog})`, options);
    this.name = "VmRunError";
  }
}

const DEFAULT_MEMORY_MB = 512;
/** PCI slots of the NICs on q35's root bus, clear of the devices QEMU places itself. */
export const NIC_PCI_SLOTS = [0x10, 0x11, 0x12, 0x13] as const;
const DEFAULT_TIMEOUT_MS = 600_000;
const OUTPUT_LIMIT = 8 * 1024 * 1024;
const GUEST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const KERNEL_COMMAND_LINE = [
  "console=ttyS0",
  "quiet",
  "loglevel=4",
  // Panic: reboot at once, which -no-reboot turns into QEMU ending.
  "panic=-1",
  "oops=panic",
  "rdinit=/init",
  // ttyS1 carries the command's output.
  "8250.nr_uarts=2",
  "random.trust_cpu=on",
  "mitigations=off",
].join(" ");

/** State directories of runs in flight, removed should the process exit mid-run (QEMU dies with it: execa's cleanup). */
const liveStateDirs = new Set<string>();
process.once("exit", () => {
  for (const dir of liveStateDirs) rmSync(dir, { recursive: true, force: true });
});

export async function runInVm(options: RunInVmOptions): Promise<VmRunResult> {
  const { command, env = {}, onOutput } = options;
  const memoryMb = options.memoryMb ?? DEFAULT_MEMORY_MB;
  const cpus = options.cpus ?? 1;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const nics = options.nics ?? 0;
  checkOptions({ command, env, memoryMb, cpus, timeoutMs, nics, cwd: options.cwd });
  const cwd = await workingDirectory(options.cwd);
  const lab = options.lab ?? (await prepareVmLab());
  const accelerator = options.accelerator ?? (await hostAccelerator());

  const dir = await mkdtemp(join(tmpdir(), `statenet-vm-${randomBytes(2).toString("hex")}-`));
  liveStateDirs.add(dir);
  const consoleLog = `${dir}.console.log`;
  let keepConsoleLog = true;
  try {
    await writeFile(
      join(dir, "config"),
      assignments({ MODULES: lab.modulesDir, KMOD: lab.kmod, WORKDIR: cwd }),
    );
    await writeFile(join(dir, "run.sh"), runScript(command, cwd, env));

    const startedAt = Date.now();
    const qemu = execa(
      QEMU,
      qemuArguments({ lab, accelerator, memoryMb, cpus, nics, dir, cwd, consoleLog }),
      {
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
        buffer: false,
        reject: false,
        cleanup: true,
      },
    );
    let exited = false;
    const exit = processExit(qemu).then((status) => {
      exited = true;
      return status;
    });
    // Only a QEMU still running is signalled: the pid of one that ended may be reused.
    const stopQemu = () => {
      if (qemu.pid !== undefined && !exited) void terminate(qemu.pid, exit);
    };
    let output = "";
    let qemuErrors = "";
    let handlerError: unknown;
    qemu.stdout?.setEncoding("utf8");
    qemu.stdout?.on("data", (text: string) => {
      output = (output + text).slice(-OUTPUT_LIMIT);
      try {
        onOutput?.(text);
      } catch (error) {
        handlerError ??= error;
        stopQemu();
      }
    });
    qemu.stderr?.on("data", (chunk: Buffer) => {
      qemuErrors = (qemuErrors + chunk.toString()).slice(-8192);
    });

    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stopQemu();
    }, timeoutMs);
    let ended: Awaited<typeof exit>;
    try {
      ended = await exit;
    } finally {
      clearTimeout(timer);
      stopQemu();
    }
    const durationMs = Date.now() - startedAt;

    const fail = (kind: VmRunError["kind"], message: string, cause?: unknown) =>
      new VmRunError(kind, message, consoleLog, output, { cause });
    if (handlerError !== undefined) {
      throw fail("output-handler", "the onOutput handler threw; the VM was stopped", handlerError);
    }
    const initFailure = await readFile(join(dir, "init-failed"), "utf8").catch(() => undefined);
    if (initFailure !== undefined) throw fail("init", `VM init failed: ${initFailure.trim()}`);
    const status = await readFile(join(dir, "rc"), "utf8").catch(() => undefined);
    if (status === undefined || !/^\d+\s*$/.test(status)) {
      if (timedOut)
        throw fail("timeout", `${command.join(" ")} did not end within ${timeoutMs} ms`);
      const how = ended.signal ?? `exit ${ended.code}`;
      const tail = (await readFile(consoleLog, "utf8").catch(() => "")).split("\n").slice(-30);
      throw fail(
        "no-exit-status",
        `the VM ended (QEMU ${how}) without the command's exit status: ${qemuErrors.trim()}\n${tail.join("\n")}`,
      );
    }
    const bootMs = await stat(join(dir, "started")).then(
      (started) => Math.round(started.mtimeMs - startedAt),
      () => undefined,
    );
    const exitCode = Number.parseInt(status, 10);
    keepConsoleLog = exitCode !== 0;
    return {
      exitCode,
      output,
      bootMs,
      durationMs,
      consoleLog: keepConsoleLog ? consoleLog : undefined,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
    liveStateDirs.delete(dir);
    if (!keepConsoleLog) await rm(consoleLog, { force: true });
  }
}

function checkOptions(options: {
  command: readonly string[];
  env: Readonly<Record<string, string>>;
  memoryMb: number;
  cpus: number;
  timeoutMs: number;
  nics: number;
  cwd: string;
}): void {
  const { command, env, memoryMb, cpus, timeoutMs, nics, cwd } = options;
  if (command.length === 0 || command.some((word) => typeof word !== "string")) {
    throw new VmRunOptionError("command", "must be a non-empty list of strings");
  }
  if (command.some((word) => word.includes("\0"))) {
    throw new VmRunOptionError("command", "must not contain NUL");
  }
  for (const [name, value] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new VmRunOptionError(`env.${name}`, "is not a variable name");
    }
    if (typeof value !== "string" || value.includes("\0")) {
      throw new VmRunOptionError(`env.${name}`, "must be a string without NUL");
    }
  }
  if (!Number.isInteger(memoryMb) || memoryMb < 128 || memoryMb > 65536) {
    throw new VmRunOptionError("memoryMb", `must be an integer from 128 to 65536, not ${memoryMb}`);
  }
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > 64) {
    throw new VmRunOptionError("cpus", `must be an integer from 1 to 64, not ${cpus}`);
  }
  if (!Number.isInteger(nics) || nics < 0 || nics > NIC_PCI_SLOTS.length) {
    throw new VmRunOptionError(
      "nics",
      `must be an integer from 0 to ${NIC_PCI_SLOTS.length}, not ${nics}`,
    );
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new VmRunOptionError("timeoutMs", `must be a positive number, not ${timeoutMs}`);
  }
  if (!isAbsolute(cwd)) throw new VmRunOptionError("cwd", `must be an absolute path, not ${cwd}`);
}

async function workingDirectory(cwd: string): Promise<string> {
  const resolved = await realpath(cwd).catch(() => undefined);
  if (resolved === undefined || !(await stat(resolved)).isDirectory()) {
    throw new VmRunOptionError("cwd", `${cwd} is not a directory`);
  }
  // Sharing / read-write would hand the VM the host's root.
  if (resolved === "/") throw new VmRunOptionError("cwd", "must not be /");
  return resolved;
}

/** A word the shell reads back exactly. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

function assignments(values: Readonly<Record<string, string>>): string {
  return Object.entries(values)
    .map(([name, value]) => `${name}=${shellQuote(value)}\n`)
    .join("");
}

/** What the VM runs: a clean environment, the working directory, then the command. */
export function runScript(
  command: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string>>,
): string {
  const exports = Object.entries({ PATH: GUEST_PATH, HOME: "/root", ...env }).map(
    ([name, value]) => `export ${name}=${shellQuote(value)}`,
  );
  return [
    ...exports,
    `cd ${shellQuote(cwd)} || exit 126`,
    `exec ${command.map(shellQuote).join(" ")}`,
    "",
  ].join("\n");
}

/** In QEMU option values a comma separates options; a literal one is doubled. */
const optionValue = (value: string) => value.replaceAll(",", ",,");

function qemuArguments(run: {
  lab: VmLabPaths;
  accelerator: Accelerator;
  memoryMb: number;
  cpus: number;
  nics: number;
  dir: string;
  cwd: string;
  consoleLog: string;
}): string[] {
  const share = (id: string, path: string, extra: string) => [
    "-fsdev",
    `local,id=${id},path=${optionValue(path)},security_model=none${extra}`,
    "-device",
    `virtio-9p-pci,fsdev=${id},mount_tag=${id}`,
  ];
  return [
    "-name",
    "statenet-vm-lab",
    "-machine",
    `q35,accel=${run.accelerator}`,
    "-cpu",
    run.accelerator === "kvm" ? "host" : "max",
    "-smp",
    String(run.cpus),
    "-m",
    String(run.memoryMb),
    "-nodefaults",
    "-no-user-config",
    "-display",
    "none",
    "-monitor",
    "none",
    "-nic",
    "none",
    "-no-reboot",
    "-kernel",
    run.lab.kernel,
    "-initrd",
    run.lab.initramfs,
    "-append",
    KERNEL_COMMAND_LINE,
    // ttyS0: the kernel's console, to a file; ttyS1: the command's output, to our stdout.
    "-serial",
    `file:${optionValue(run.consoleLog)}`,
    "-chardev",
    "stdio,id=output,signal=off",
    "-serial",
    "chardev:output",
    // Entropy: SAE and hostapd block without it.
    "-device",
    "virtio-rng-pci",
    // Mount tags are the ids; guest-init.sh mounts them by these names.
    ...share("hostroot", "/", ",readonly=on,multidevs=remap"),
    ...share("state", run.dir, ""),
    ...share("work", run.cwd, ",multidevs=remap"),
    ...nicArguments(run.nics),
  ];
}

/**
 * NICs on one hub: a hub port is a netdev backend that only forwards to the
 * hub's other ports, so frames stay inside QEMU.
 */
export function nicArguments(count: number): string[] {
  return NIC_PCI_SLOTS.slice(0, count).flatMap((slot, index) => [
    "-netdev",
    `hubport,id=nic${index},hubid=0`,
    "-device",
    `virtio-net-pci,netdev=nic${index},addr=0x${slot.toString(16)},mac=52:54:00:00:00:${(index + 1).toString(16).padStart(2, "0")}`,
  ]);
}
