import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vmLabAvailability } from "../../lab/vm/availability.js";
import { runInVm, VmRunError, VmRunOptionError } from "../../lab/vm/run-in-vm.js";
import { prepareVmLab, type VmLabPaths } from "../../lab/vm/setup.js";

const availability = await vmLabAvailability();
const VM_TIMEOUT_MS = 300_000;

/** Processes whose command line names `text`: a QEMU of a run is found by its state directory. */
function processesMentioning(text: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe("runInVm option checks", () => {
  it("names the field of a bad option before booting anything", async () => {
    const run = (options: Partial<Parameters<typeof runInVm>[0]>) =>
      runInVm({ command: ["true"], cwd: tmpdir(), ...options });
    await expect(run({ command: [] })).rejects.toMatchObject({ field: "command" });
    await expect(run({ cwd: "relative/dir" })).rejects.toMatchObject({ field: "cwd" });
    await expect(run({ cwd: "/" })).rejects.toMatchObject({ field: "cwd" });
    await expect(run({ memoryMb: 64 })).rejects.toMatchObject({ field: "memoryMb" });
    await expect(run({ env: { "BAD-NAME": "x" } })).rejects.toMatchObject({
      field: "env.BAD-NAME",
    });
    await expect(run({ timeoutMs: 0 })).rejects.toBeInstanceOf(VmRunOptionError);
  });
});

if (availability.available) {
  describe("runInVm", () => {
    let lab: VmLabPaths;
    let work: string;
    beforeAll(async () => {
      lab = await prepareVmLab();
      work = await mkdtemp(join(tmpdir(), "statenet-vm-work-"));
    }, VM_TIMEOUT_MS);
    afterAll(async () => {
      if (work) await rm(work, { recursive: true, force: true });
    });

    it(
      "runs the command as root in the shared directory, streams its output and returns its status",
      async () => {
        const outside = join(tmpdir(), `statenet-vm-outside-${process.pid}`);
        const streamed: string[] = [];
        const result = await runInVm({
          command: [
            "sh",
            "-c",
            `id -u; pwd; echo "$PATH"; echo "$GREETING"; echo written > from-vm; touch ${outside}; echo oops >&2; exit 3`,
          ],
          cwd: work,
          env: { GREETING: "it's me" },
          memoryMb: 192,
          lab,
          accelerator: availability.accelerator,
          onOutput: (text) => streamed.push(text),
        });
        expect(result.exitCode).toBe(3);
        expect(result.output).toBe(
          `0\n${work}\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nit's me\noops\n`,
        );
        expect(streamed.join("")).toBe(result.output);
        expect(await readFile(join(work, "from-vm"), "utf8")).toBe("written\n");
        // Outside the shared directory the VM writes into RAM only.
        expect(existsSync(outside)).toBe(false);
        // A failed command keeps the kernel's console log for a look.
        expect(result.consoleLog && existsSync(result.consoleLog)).toBe(true);
        await rm(result.consoleLog as string, { force: true });
        expect(result.bootMs).toBeGreaterThan(0);
        console.log(`boot ${result.bootMs} ms, whole VM ${result.durationMs} ms`);
      },
      VM_TIMEOUT_MS,
    );

    it(
      "kills QEMU and removes its files when the run times out",
      async () => {
        const error = await runInVm({
          command: ["sleep", "1000"],
          cwd: work,
          lab,
          accelerator: availability.accelerator,
          // Shorter than a boot under TCG; with KVM the sleep is still running.
          timeoutMs: 3_000,
        }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(VmRunError);
        const { kind, consoleLog } = error as VmRunError;
        expect(kind).toBe("timeout");
        const stateDir = consoleLog.replace(/\.console\.log$/, "");
        expect(existsSync(stateDir)).toBe(false);
        expect(processesMentioning(stateDir)).toEqual([]);
        expect(existsSync(consoleLog)).toBe(true);
        await rm(consoleLog, { force: true });
      },
      VM_TIMEOUT_MS,
    );
  });
} else {
  describe.skip(`runInVm (skipped: ${availability.reason})`, () => {
    it("runs commands in a VM", () => {});
  });
}
