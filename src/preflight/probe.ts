import { constants } from "node:fs";
import { access, lstat, readdir, readFile, readlink, realpath, stat } from "node:fs/promises";
import { basename, delimiter, dirname, join, resolve } from "node:path";
import { runToEnd } from "../linux/child-process.js";
import type { ProcessInfo } from "./process-findings.js";
import {
  type CommandOutcome,
  type IpProbe,
  type ResolvConfProbe,
  SYSTEM_RESOLV_CONF,
  type SystemResolvConf,
  type UdhcpcProbe,
} from "./tool-findings.js";

/**
 * The effects of `statenet check`: read-only commands, file metadata and
 * /proc. Nothing here changes anything or signals anyone. Programs are found
 * on PATH, as statenet finds them when it runs them.
 */

const PROBE_TIMEOUT_MS = 5_000;

const searchPath = () => process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin";

/** Runs a program to its end and says how that went; never throws. */
export async function runProbe(
  file: string,
  args: readonly string[],
  input?: string,
): Promise<CommandOutcome> {
  const result = await runToEnd(file, args, {
    timeoutMs: PROBE_TIMEOUT_MS,
    input: input ?? "",
    env: { LC_ALL: "C", PATH: searchPath() },
  });
  if (result.startError?.code === "ENOENT") return { kind: "missing" };
  if (result.exitCode === null) {
    return {
      kind: "failed",
      reason: result.timedOut
        ? "timed out"
        : (result.startError?.message ?? `killed by ${result.signal}`),
    };
  }
  return {
    kind: "exited",
    code: result.exitCode,
    stdout: result.stdout,
    stderr: result.stderr,
  };
}

/** The first executable file of that name on PATH. */
export async function findOnPath(name: string): Promise<string | undefined> {
  for (const dir of searchPath().split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

export async function probeIp(): Promise<IpProbe> {
  const [version, json, batch] = await Promise.all([
    runProbe("ip", ["-V"]),
    runProbe("ip", ["-j", "link", "show", "dev", "lo"]),
    runProbe("ip", ["-force", "-batch", "-"], "link show dev lo\n"),
  ]);
  return { version, json, batch };
}

/** `-d`: iproute2 shows the kernel's own rules' protocol only in detail. */
export const probeRules = () => runProbe("ip", ["-d", "-j", "-4", "rule", "show"]);

export async function probeUdhcpc(): Promise<UdhcpcProbe> {
  const busybox = await findOnPath("busybox");
  return {
    busybox,
    applets: busybox === undefined ? undefined : await runProbe(busybox, ["--list"]),
  };
}

export const probeWpaSupplicant = () => runProbe("wpa_supplicant", ["-h"]);

/** A path with every link followed, also one that points nowhere (yet). */
async function canonicalPath(path: string, depth = 0): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    // Missing, or a link to something missing: resolve what exists by hand.
  }
  if (depth > 40) return path;
  try {
    return await canonicalPath(resolve(dirname(path), await readlink(path)), depth + 1);
  } catch {
    // Not a link.
  }
  const parent = dirname(path);
  if (parent === path) return path;
  return join(await canonicalPath(parent, depth + 1), basename(path));
}

async function fileIdentity(path: string): Promise<string | undefined> {
  try {
    const { dev, ino } = await stat(path);
    return `${dev}:${ino}`;
  } catch {
    return undefined;
  }
}

async function describeResolvConf(path: string): Promise<SystemResolvConf> {
  try {
    const entry = await lstat(path);
    const canonical = await canonicalPath(path);
    if (!entry.isSymbolicLink()) return { kind: "file", canonical };
    return { kind: "link", target: await readlink(path), canonical };
  } catch {
    return { kind: "missing" };
  }
}

/** Where `system` (/etc/resolv.conf, where programs look) and statenet's `resolvConf` lead. */
export async function probeResolvConf(
  resolvConf: string,
  system = SYSTEM_RESOLV_CONF,
): Promise<ResolvConfProbe> {
  const [described, configured, systemId, configuredId] = await Promise.all([
    describeResolvConf(system),
    canonicalPath(resolvConf),
    fileIdentity(system),
    fileIdentity(resolvConf),
  ]);
  return {
    system: described,
    configured,
    sameFile: systemId !== undefined && systemId === configuredId,
  };
}

async function netnsInode(pid: number | "self"): Promise<number | undefined> {
  try {
    return (await stat(`/proc/${pid}/ns/net`)).ino;
  } catch {
    return undefined;
  }
}

async function processInfo(
  pid: number,
  ownNetns: number | undefined,
): Promise<ProcessInfo | undefined> {
  try {
    const [comm, cmdline, netns] = await Promise.all([
      readFile(`/proc/${pid}/comm`, "utf8"),
      readFile(`/proc/${pid}/cmdline`, "utf8"),
      netnsInode(pid),
    ]);
    return {
      pid,
      comm: comm.trim(),
      argv: cmdline.split("\0").filter((arg, index, all) => arg !== "" || index < all.length - 1),
      sameNetns: netns === undefined || ownNetns === undefined ? undefined : netns === ownNetns,
    };
  } catch {
    // It exited while we looked.
    return undefined;
  }
}

/** Every other process of the machine (the pid namespace is shared with other network namespaces). */
export async function listProcesses(): Promise<ProcessInfo[]> {
  const [entries, ownNetns] = await Promise.all([readdir("/proc"), netnsInode("self")]);
  const pids = entries.filter((name) => /^\d+$/.test(name)).map(Number);
  const infos = await Promise.all(
    pids.filter((pid) => pid !== process.pid).map((pid) => processInfo(pid, ownNetns)),
  );
  return infos.filter((info) => info !== undefined);
}
