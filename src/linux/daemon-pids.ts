import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../log.js";
import { writeFileAtomic } from "./atomic-write.js";
import { terminate } from "./terminate.js";

/**
 * A record of each daemon the manager runs (udhcpc, wpa_supplicant), so that
 * a manager that was killed outright (SIGKILL, the OOM killer) and started
 * again can end the daemons it left behind, by their pids and nothing else,
 * instead of running a second udhcpc or supplicant on the same interface. A
 * pid is trusted only together with its process start time: a pid the kernel
 * has since given to another process is left alone.
 */

export interface PidRecord {
  pid: number;
  /** Clock ticks since boot, field 22 of /proc/<pid>/stat. */
  startTime: string;
}

/** A daemon that outlives SIGKILL this long (stuck in the kernel) is left as it is. */
const GIVE_UP_AFTER_MS = 5_000;

/** Highest pid Linux hands out (PID_MAX_LIMIT on 64-bit). */
const MAX_PID = 4_194_304;

/** When the process started (field 22 of /proc/<pid>/stat); undefined when none runs (or a zombie). */
export async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    return startTimeOfStat(await readFile(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * The fields of a /proc/<pid>/stat line after the command name, from field 3
 * (the state) on; undefined for a line that is not one.
 */
export function statFieldsAfterName(stat: string): string[] | undefined {
  // The command name (field 2) is the process's to choose, spaces and parentheses
  // included: count from the last ")".
  const close = stat.lastIndexOf(")");
  return close === -1 ? undefined : stat.slice(close + 2).split(" ");
}

/** Field 22 of a /proc/<pid>/stat line; undefined for a zombie or a line that is not one. */
export function startTimeOfStat(stat: string): string | undefined {
  const fields = statFieldsAfterName(stat);
  if (fields === undefined) return undefined;
  const startTime = fields[19];
  return fields[0] === "Z" || startTime === undefined || !/^\d+$/.test(startTime)
    ? undefined
    : startTime;
}

/** Notes a daemon just started; a failure to write is logged, never thrown. */
export async function recordDaemon(path: string, pid: number, logger: Logger): Promise<void> {
  const startTime = await processStartTime(pid);
  if (startTime === undefined) return;
  const record: PidRecord = { pid, startTime };
  await writeFileAtomic(path, JSON.stringify(record), 0o600, 0o700).catch((error: unknown) =>
    logger.warn({ err: error, path }, "could not record a daemon's pid"),
  );
}

export async function forgetDaemon(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** A record file's content; undefined for anything but a pid Linux can give out and a start time. */
export function parseDaemonRecord(text: string): PidRecord | undefined {
  let value: Partial<PidRecord> | null;
  try {
    value = JSON.parse(text) as Partial<PidRecord> | null;
  } catch {
    // Not ours, or torn: nothing to trust in it.
    return undefined;
  }
  const { pid, startTime } = value ?? {};
  if (!Number.isInteger(pid) || (pid as number) <= 1 || (pid as number) > MAX_PID) return undefined;
  if (typeof startTime !== "string" || !/^\d+$/.test(startTime)) return undefined;
  return { pid: pid as number, startTime };
}

/** Whether the recorded process is gone, watched in /proc (it is not our child to wait for). */
async function gone(record: PidRecord): Promise<boolean> {
  const deadline = Date.now() + GIVE_UP_AFTER_MS;
  while (Date.now() < deadline) {
    if ((await processStartTime(record.pid)) !== record.startTime) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

/**
 * Ends every recorded daemon that still runs (SIGTERM, SIGKILL after 2 s)
 * and removes the records. Returns what it ended, e.g. `udhcpc-eth0 (pid 4711)`.
 */
export async function endLeftoverDaemons(dir: string, logger: Logger): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const ended: string[] = [];
  for (const file of names.filter((name) => name.endsWith(".pid.json"))) {
    const path = join(dir, file);
    const record = parseDaemonRecord(await readFile(path, "utf8").catch(() => ""));
    if (record && (await processStartTime(record.pid)) === record.startTime) {
      const ending = gone(record);
      await terminate(record.pid, ending);
      if (await ending) ended.push(`${file.replace(/\.pid\.json$/, "")} (pid ${record.pid})`);
      else logger.warn({ pid: record.pid }, "could not end a daemon left behind");
    }
    await rm(path, { force: true });
  }
  if (ended.length > 0) logger.warn({ ended }, "ended daemons a previous run left behind");
  return ended;
}

/** Where the record of one daemon of one interface goes. */
export function daemonRecordPath(dir: string, daemon: string, ifname: string): string {
  return join(dir, `${daemon}-${ifname}.pid.json`);
}
