import { spawn } from "node:child_process";
import { once } from "node:events";
import { chmod, link, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import {
  listProcesses,
  probeResolvConf,
  probeUdhcpc,
  runProbe,
} from "../../src/preflight/probe.js";
import { resolvConfFinding } from "../../src/preflight/tool-findings.js";
import { waitUntil } from "../support/wait.js";

let dir: string;
const savedPath = process.env.PATH;

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), "statenet-probe-")));
});
afterEach(() => {
  process.env.PATH = savedPath;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it("follows /etc/resolv.conf through relative and dangling links to statenet's file", async () => {
  const root = join(dir, "links");
  await mkdir(join(root, "etc"), { recursive: true });
  await mkdir(join(root, "run"));
  await mkdir(join(root, "var"));
  // /var/run -> ../run, as on most systems; statenet has not written its file yet.
  await symlink("../run", join(root, "var", "run"));
  await symlink("../run/statenet/resolv.conf", join(root, "etc", "resolv.conf"));
  const resolvConf = join(root, "var", "run", "statenet", "resolv.conf");

  const probe = await probeResolvConf(resolvConf, join(root, "etc", "resolv.conf"));
  expect(probe).toEqual({
    system: {
      kind: "link",
      target: "../run/statenet/resolv.conf",
      canonical: join(root, "run", "statenet", "resolv.conf"),
    },
    configured: join(root, "run", "statenet", "resolv.conf"),
    sameFile: false,
  });
  expect(resolvConfFinding(resolvConf, probe).level).toBe("ok");
});

it("tells a file of its own from a hard link to statenet's, and a missing one", async () => {
  const root = join(dir, "files");
  await mkdir(root);
  const resolvConf = join(root, "statenet-resolv.conf");
  await writeFile(resolvConf, "nameserver 192.0.2.1\n");
  await writeFile(join(root, "own.conf"), "nameserver 198.51.100.1\n");
  await link(resolvConf, join(root, "hard.conf"));

  const own = await probeResolvConf(resolvConf, join(root, "own.conf"));
  expect(own).toEqual({
    system: { kind: "file", canonical: join(root, "own.conf") },
    configured: resolvConf,
    sameFile: false,
  });
  expect((await probeResolvConf(resolvConf, join(root, "hard.conf"))).sameFile).toBe(true);
  expect((await probeResolvConf(resolvConf, join(root, "none.conf"))).system).toEqual({
    kind: "missing",
  });
});

it("finds busybox on PATH, as statenet runs it, and says when it is not there", async () => {
  const bin = join(dir, "bin");
  await mkdir(bin);
  await writeFile(
    join(bin, "busybox"),
    '#!/bin/sh\n[ "$1" = --list ] && printf "ash\\nudhcpc\\n"\n',
  );
  await chmod(join(bin, "busybox"), 0o755);
  process.env.PATH = bin;
  expect(await probeUdhcpc()).toEqual({
    busybox: join(bin, "busybox"),
    applets: { kind: "exited", code: 0, stdout: "ash\nudhcpc", stderr: "" },
  });
  process.env.PATH = join(dir, "empty");
  expect(await probeUdhcpc()).toEqual({ busybox: undefined, applets: undefined });
  expect(await runProbe("ip", ["-V"])).toEqual({ kind: "missing" });
});

it("lists the other processes with their command line and whether they share our namespace", async () => {
  const marker = `statenet-probe-marker-${process.pid}`;
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", marker], {
    stdio: "ignore",
  });
  try {
    const found = await waitUntil("the child in /proc", async () =>
      (await listProcesses()).find((info) => info.pid === child.pid),
    );
    expect(found.argv.at(-1)).toBe(marker);
    expect(found.comm).toBe("node");
    expect(found.sameNetns).toBe(true);
    expect((await listProcesses()).some((info) => info.pid === process.pid)).toBe(false);
  } finally {
    child.kill("SIGTERM");
    await once(child, "exit");
  }
});
