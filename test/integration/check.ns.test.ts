import { readFileSync } from "node:fs";
import { access, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Lab, type LabServer } from "../../lab/namespace-lab.js";
import { findOnPath } from "../../src/preflight/probe.js";
import { describeAsRoot } from "../support/root.js";
import {
  buildStatenet,
  type DaemonPaths,
  daemonConfigWriter,
  namespacePids,
  STATENET,
} from "../support/statenet-cli.js";
import { waitUntil } from "../support/wait.js";

/** Whether a path exists: a command that touches nothing makes no directories. */
const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describeAsRoot("statenet check, and the hard checks of statenet run", () => {
  let lab: Lab;
  /** A second lab whose device also has an eth0, as labs and containers on one machine do. */
  let otherLab: Lab;
  let dir: string;
  let writeConfig: (name: string, config: Record<string, unknown>) => Promise<DaemonPaths>;
  /** The real iproute2 ip: `ip netns exec` must not come from a PATH under test. */
  let realIp: string;

  beforeAll(async () => {
    realIp = (await findOnPath("ip")) ?? "ip";
    await buildStatenet();
    [lab, otherLab] = await Promise.all([
      Lab.create({ uplinks: ["eth0", "wlan0"] }),
      Lab.create({ uplinks: ["eth0"] }),
    ]);
    dir = await mkdtemp(join(tmpdir(), "statenet-check-"));
    writeConfig = daemonConfigWriter(dir);
    // The build takes a while on a busy machine.
  }, 120_000);

  afterAll(async () => {
    await Promise.all([lab?.teardown(), otherLab?.teardown()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** bin/statenet in the device namespace, with PATH as given (by default the test's own). */
  function statenet(args: readonly string[], path = process.env.PATH ?? "") {
    return execa(realIp, ["netns", "exec", lab.deviceNs, STATENET, ...args], {
      reject: false,
      env: { PATH: path },
    });
  }

  /** A directory for PATH holding only these programs (links to the machine's). */
  async function pathWith(name: string, programs: Record<string, string>): Promise<string> {
    const bin = join(dir, `bin-${name}`);
    await mkdir(bin);
    for (const [program, target] of Object.entries(programs)) {
      await symlink(target, join(bin, program));
    }
    return bin;
  }

  /** What bin/statenet itself needs from PATH (it is a shell script that execs node), and the lock's flock. */
  async function launcherPrograms(): Promise<Record<string, string>> {
    const programs: Record<string, string> = { node: process.execPath };
    for (const program of ["dirname", "readlink", "flock"]) {
      programs[program] = (await findOnPath(program)) ?? program;
    }
    return programs;
  }

  /** The device namespace's addresses, routes and rules. */
  const deviceNetworking = () =>
    Promise.all(
      [
        ["addr", "show"],
        ["route", "show", "table", "all"],
        ["rule", "show"],
      ].map(async (args) => (await lab.exec(lab.deviceNs, "ip", ["-4", ...args])).stdout),
    );

  const goodConfig = () => ({
    interfaces: {
      eth0: { type: "ethernet", ipv4: { method: "dhcp" } },
      wlan0: lab.staticConfig("wlan0"),
    },
  });

  it("exits 2 on a bad file, naming the field, and touches nothing", async () => {
    const { configPath, tmpDir, stateDir } = await writeConfig("bad", {
      interfaces: {
        wlan0: {
          type: "ethernet",
          ipv4: { method: "static", address: "198.51.100.77", prefixLength: 33 },
        },
      },
    });
    const result = await statenet(["check", "--config", configPath]);
    expect({ exitCode: result.exitCode, stdout: result.stdout }).toEqual({
      exitCode: 2,
      stdout: "",
    });
    expect(result.stderr).toContain("interfaces.wlan0.ipv4.prefixLength: must be 0..32");
    expect([await exists(tmpDir), await exists(stateDir)]).toEqual([false, false]);
  });

  it("accepts a good configuration on this machine with exit 0, touching nothing", async () => {
    const { configPath, tmpDir, stateDir } = await writeConfig("good", goodConfig());
    const before = await deviceNetworking();
    const result = await statenet(["check", "--config", configPath]);
    expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({
      exitCode: 0,
      stderr: "",
    });
    const lines = result.stdout.split("\n");
    expect(lines.slice(0, 5)).toEqual([
      `ok      ${configPath} is valid`,
      expect.stringMatching(/^ok {6}ip is iproute2 \S+ \(-json, -batch\)$/),
      expect.stringMatching(/^ok {6}flock \(\/\S+\/flock\) for the instance lock$/),
      "ok      policy routing: 3 rules, protocol 222 usable",
      expect.stringMatching(/^ok {6}udhcpc: busybox udhcpc \(\/\S+\/busybox\) for eth0$/),
    ]);
    expect(lines.filter((line) => line.startsWith("error"))).toEqual([]);
    expect([await exists(tmpDir), await exists(stateDir)]).toEqual([false, false]);
    expect(namespacePids(lab.deviceNs)).toEqual([]);
    expect(await deviceNetworking()).toEqual(before);

    const json = await statenet(["check", "--config", configPath, "--json"]);
    const { findings } = JSON.parse(json.stdout) as { findings: Array<{ check: string }> };
    expect(findings.map((finding) => finding.check)).toEqual(
      expect.arrayContaining([
        "config",
        "ip",
        "flock",
        "policy-routing",
        "udhcpc",
        "resolv.conf",
        "processes",
      ]),
    );
  });

  it("fails (exit 1) when DHCP is configured and PATH has no udhcpc", async () => {
    const { configPath } = await writeConfig("no-udhcpc", goodConfig());
    const bin = await pathWith("no-busybox", { ...(await launcherPrograms()), ip: realIp });
    const result = await statenet(["check", "--config", configPath], bin);
    expect(result.exitCode).toBe(1);
    const errors = result.stdout.split("\n").filter((line) => line.startsWith("error"));
    expect(errors).toEqual([
      'error   udhcpc: eth0 uses DHCP, but busybox is not on PATH (statenet runs "busybox udhcpc"): install busybox',
    ]);
  });

  it("warns of a udhcpc on a managed interface in its own namespace only", async () => {
    const { configPath } = await writeConfig("clients", goodConfig());
    const startUdhcpc = async (target: Lab): Promise<LabServer> =>
      target.startProcess(
        "udhcpc",
        target.deviceNs,
        // A client that changes nothing: its script is `true`.
        ["busybox", "udhcpc", "-f", "-i", "eth0", "-s", "/bin/true"],
        {
          dir: await target.tempDir("udhcpc"),
          ready: async (gone) => {
            await waitUntil("udhcpc started", () => {
              if (gone()) throw new Error("exited");
              return namespacePids(target.deviceNs).some((pid) =>
                readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes("udhcpc"),
              );
            });
          },
        },
      );
    const udhcpcWarnings = async () =>
      (await statenet(["check", "--config", configPath])).stdout
        .split("\n")
        .filter((line) => line.includes("udhcpc (pid"));

    const elsewhere = await startUdhcpc(otherLab);
    try {
      // The same interface name, another namespace: not ours to worry about.
      expect(await udhcpcWarnings()).toEqual([]);
      const here = await startUdhcpc(lab);
      try {
        expect(await udhcpcWarnings()).toEqual([
          `warning udhcpc (pid ${here.pid}) already runs on eth0: two DHCP clients would fight over its address; stop it`,
        ]);
      } finally {
        await here.stop();
      }
    } finally {
      await elsewhere.stop();
    }
  });

  it("run with BusyBox's ip first on PATH exits 1 with one line and touches nothing", async () => {
    const { configPath, tmpDir, stateDir } = await writeConfig("busybox-ip", goodConfig());
    const busybox = await findOnPath("busybox");
    if (!busybox) throw new Error("busybox is needed (scripts/install-system-packages)");
    // BusyBox's own ip applet (it goes by the name it is run as).
    const bin = await pathWith("busybox-ip", { ip: busybox });
    const before = await deviceNetworking();
    const result = await statenet(["run", "--config", configPath], `${bin}:${process.env.PATH}`);
    expect({ exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr }).toEqual({
      exitCode: 1,
      stdout: "",
      stderr:
        "statenet: ip is BusyBox's, statenet needs iproute2's (-json, -batch): install iproute2",
    });
    expect([await exists(tmpDir), await exists(stateDir)]).toEqual([false, false]);
    expect(namespacePids(lab.deviceNs)).toEqual([]);
    expect(await deviceNetworking()).toEqual(before);
  });
});
