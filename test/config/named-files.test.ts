import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { unreadableFiles } from "../../src/config/named-files.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "statenet-files-"));
  await writeFile(join(dir, "ca.pem"), "CA");
  await mkdir(join(dir, "a-directory"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it("names each certificate or key that is missing or not a file, with its field", () => {
  expect(
    unreadableFiles("eth0", {
      type: "ethernet",
      ipv4: { method: "dhcp" },
      ieee8021x: {
        eap: "tls",
        identity: "device",
        caCert: join(dir, "ca.pem"),
        clientCert: join(dir, "missing.pem"),
        privateKey: join(dir, "a-directory"),
      },
    }),
  ).toEqual([
    {
      path: "interfaces.eth0.ieee8021x.clientCert",
      message: `${join(dir, "missing.pem")} does not exist`,
    },
    {
      path: "interfaces.eth0.ieee8021x.privateKey",
      message: `${join(dir, "a-directory")} is not a file`,
    },
  ]);
});

it("has nothing to say of configurations without files", () => {
  expect(unreadableFiles("eth0", { type: "ethernet", ipv4: { method: "dhcp" } })).toEqual([]);
  expect(
    unreadableFiles("eth0", {
      type: "ethernet",
      ipv4: { method: "dhcp" },
      ieee8021x: { eap: "md5", identity: "u", password: "p" },
    }),
  ).toEqual([]);
  expect(unreadableFiles("eth0", { type: "null" })).toEqual([]);
});

it("a file that exists but cannot be read is named too (when not root)", async () => {
  const path = join(dir, "unreadable.pem");
  await writeFile(path, "key");
  await chmod(path, 0o000);
  const problems = unreadableFiles("eth0", {
    type: "ethernet",
    ipv4: { method: "dhcp" },
    ieee8021x: { eap: "peap", identity: "u", password: "p", caCert: path },
  });
  // Root reads anything: the daemon runs as root, so there is nothing to report then.
  expect(problems).toEqual(
    process.getuid?.() === 0
      ? []
      : [{ path: "interfaces.eth0.ieee8021x.caCert", message: `${path} cannot be read (EACCES)` }],
  );
});
