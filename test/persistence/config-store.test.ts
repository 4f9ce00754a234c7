import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { InterfaceConfig } from "../../src/config/schema.js";
import { InvalidInterfaceNameError } from "../../src/linux/interface-name.js";
import { ConfigStore } from "../../src/persistence/config-store.js";
import { DeviceKeyError, loadDeviceKey } from "../../src/persistence/device-key.js";
import { seal } from "../../src/persistence/sealed-file.js";

const STATIC = (last: number): InterfaceConfig => ({
  type: "ethernet",
  ipv4: { method: "static", address: `192.0.2.${last}`, prefixLength: 24 },
});
const DHCP: InterfaceConfig = { type: "ethernet", ipv4: { method: "dhcp", hostname: "kiosk-7" } };

let dir: string;
let key: Buffer;
let store: ConfigStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "statenet-store-"));
  key = randomBytes(32);
  store = new ConfigStore({ dir: join(dir, "configs"), key });
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const files = async () => (await readdir(join(dir, "configs"))).sort();

describe("saved configurations", () => {
  it("come back as they were saved, sealed in files only the owner may read", async () => {
    const eth0SavedAt = await store.save("eth0", STATIC(10));
    const wlan0SavedAt = await store.save("wlan0", DHCP);
    expect(await new ConfigStore({ dir: join(dir, "configs"), key }).loadAll()).toEqual({
      configs: {
        eth0: { config: STATIC(10), savedAt: eth0SavedAt },
        wlan0: { config: DHCP, savedAt: wlan0SavedAt },
      },
      problems: [],
    });
    expect(Date.parse(eth0SavedAt)).toBeLessThanOrEqual(Date.parse(wlan0SavedAt));
    expect(await store.has("eth0")).toBe(true);
    expect(await store.has("eth1")).toBe(false);
    expect((await stat(store.fileOf("eth0"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "configs"))).mode & 0o777).toBe(0o700);
    const raw = await readFile(store.fileOf("wlan0"));
    expect(raw.includes(Buffer.from("kiosk-7"))).toBe(false);
    await store.remove("wlan0");
    expect(await files()).toEqual(["eth0.config"]);
  });

  it.each([
    ["a wrong key", async () => {}, "wrong", /does not open with this device's key for eth0/],
    [
      "a truncated file",
      async () =>
        writeFile(store.fileOf("eth0"), (await readFile(store.fileOf("eth0"))).subarray(0, 20)),
      "right",
      /cut short/,
    ],
    [
      "a corrupted byte",
      async () => {
        const bytes = await readFile(store.fileOf("eth0"));
        bytes[30] = (bytes[30] ?? 0) ^ 0xff;
        await writeFile(store.fileOf("eth0"), bytes);
      },
      "right",
      /does not open/,
    ],
    [
      "another interface's file",
      async () => copyFile(store.fileOf("wlan0"), store.fileOf("eth0")),
      "right",
      /does not open with this device's key for eth0/,
    ],
    [
      "a foreign file",
      async () => writeFile(store.fileOf("eth0"), "ctrl_interface=/run/wpa_supplicant\n"),
      "right",
      /not a statenet configuration file/,
    ],
  ])("sets aside %s, reports why, and keeps the others", async (_name, damage, which, reason) => {
    await store.save("eth0", STATIC(10));
    await store.save("wlan0", DHCP);
    await damage();
    const reader = new ConfigStore({
      dir: join(dir, "configs"),
      key: which === "wrong" ? randomBytes(32) : key,
    });
    const { configs, problems } = await reader.loadAll();
    if (which === "right") expect(configs.wlan0?.config).toEqual(DHCP);
    if (which === "right") expect(Object.keys(configs)).toEqual(["wlan0"]);
    expect(problems).toHaveLength(which === "wrong" ? 2 : 1);
    expect(problems[0]?.ifname).toBe("eth0");
    expect(problems[0]?.message).toMatch(reason);
    // Moved aside, not deleted.
    expect(await files()).toContain(problems[0]?.movedTo.split("/").at(-1));
    expect(await files()).not.toContain("eth0.config");
  });

  it("keeps a deconfiguration, and dates a document without a time by its file", async () => {
    await store.save("eth0", null);
    const undated = { version: 1, ifname: "wlan0", config: DHCP };
    await writeFile(
      store.fileOf("wlan0"),
      seal(Buffer.from(JSON.stringify(undated)), key, "wlan0"),
    );
    const { configs, problems } = await store.loadAll();
    expect(problems).toEqual([]);
    expect(configs.eth0?.config).toBeNull();
    expect(configs.wlan0).toEqual({
      config: DHCP,
      savedAt: (await stat(store.fileOf("wlan0"))).mtime.toISOString(),
    });
  });

  it("sets aside a configuration of lo that an older version saved", async () => {
    const saved = { version: 1, ifname: "lo", savedAt: "", config: DHCP };
    await store.save("wlan0", DHCP);
    await writeFile(store.fileOf("lo"), seal(Buffer.from(JSON.stringify(saved)), key, "lo"));
    const { configs, problems } = await store.loadAll();
    expect(Object.keys(configs)).toEqual(["wlan0"]);
    expect(problems).toMatchObject([
      { ifname: "lo", message: "the loopback interface is never managed" },
    ]);
    expect(await files()).not.toContain("lo.config");
  });

  it("sets aside a sealed configuration that no longer validates, naming the field", async () => {
    const bad = {
      version: 1,
      ifname: "eth0",
      savedAt: "",
      config: {
        ...STATIC(10),
        ipv4: { method: "static", address: "192.0.2.10", prefixLength: 40 },
      },
    };
    await store.save("wlan0", DHCP);
    await writeFile(store.fileOf("eth0"), seal(Buffer.from(JSON.stringify(bad)), key, "eth0"));
    const { configs, problems } = await store.loadAll();
    expect(Object.keys(configs)).toEqual(["wlan0"]);
    expect(problems[0]?.message).toBe("invalid: interfaces.eth0.ipv4.prefixLength: must be 0..32");
  });

  it("is the old or the new configuration after a crash in the middle of a stream of saves", async () => {
    const loop = fileURLToPath(new URL("./save-loop.ts", import.meta.url));
    for (let crash = 0; crash < 5; crash += 1) {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", loop, join(dir, "configs"), key.toString("hex")],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 50 + crash * 37));
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
      const { configs, problems } = await store.loadAll();
      expect(problems).toEqual([]);
      expect([STATIC(10), STATIC(11)]).toContainEqual(configs.eth0?.config);
      expect(await files()).toEqual(["eth0.config"]);
    }
  });
});

describe("names that are not interface names", () => {
  const NOT_NAMES = [
    "",
    ".",
    "..",
    "../eth0",
    "eth0/../../outside",
    "/etc/passwd",
    "a/b",
    "eth0\u0000",
    "eth 0",
    "eth0:1",
    "__proto__",
    "sixteen-chars-xx",
  ];

  it.each(NOT_NAMES)("%j: every method refuses it before touching the disk", async (name) => {
    // A file where `../outside` would point from the store, to see that nothing reaches it.
    const outside = join(dir, "outside.config");
    await writeFile(outside, "not the store's");
    await expect(store.save(name, DHCP)).rejects.toThrow(InvalidInterfaceNameError);
    await expect(store.load(name)).rejects.toThrow(InvalidInterfaceNameError);
    await expect(store.has(name)).rejects.toThrow(InvalidInterfaceNameError);
    await expect(store.remove(name)).rejects.toThrow(InvalidInterfaceNameError);
    expect(() => store.fileOf(name)).toThrow(InvalidInterfaceNameError);
    expect(await readFile(outside, "utf8")).toBe("not the store's");
    // Not even the store's directory was made.
    expect((await readdir(dir)).sort()).toEqual(["outside.config"]);
  });

  it("the refusal names the name and says what is wrong with it", async () => {
    await expect(store.save("../eth0", DHCP)).rejects.toThrow(
      'invalid interface name "../eth0": only letters, digits and _ . @ - are allowed',
    );
    await expect(store.load("")).rejects.toThrow(
      'invalid interface name "": must be 1..15 characters',
    );
  });

  it("every name Linux takes is stored under its own name, in the store's directory", async () => {
    for (const name of ["eth0", "wlan0", "enp0s13f0u1", "br-lan.10", "veth@x", "a_b", "..."]) {
      await store.save(name, DHCP);
      expect(store.fileOf(name)).toBe(join(dir, "configs", `${name}.config`));
      expect((await store.load(name))?.config).toEqual(DHCP);
    }
  });
});

describe("the device key", () => {
  it("is made on first start (random, 0600) and read back afterwards", async () => {
    const path = join(dir, "state", "key");
    const first = await loadDeviceKey({ keyFile: path });
    expect(first).toHaveLength(32);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await loadDeviceKey({ keyFile: path })).toEqual(first);
    expect(await loadDeviceKey({ keyFile: join(dir, "other") })).not.toEqual(first);
  });

  it("comes from the options or a function, and must be 32 bytes", async () => {
    const given = randomBytes(32);
    expect(await loadDeviceKey({ key: given })).toEqual(given);
    expect(await loadDeviceKey({ keyFunction: async () => given })).toEqual(given);
    await expect(loadDeviceKey({ key: randomBytes(16) })).rejects.toThrow(DeviceKeyError);
    const short = join(dir, "short");
    await writeFile(short, "abc");
    await expect(loadDeviceKey({ keyFile: short })).rejects.toThrow(/must be 32 bytes, got 3/);
  });
});
