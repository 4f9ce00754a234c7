import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Lab, type LabServer } from "../../../lab/namespace-lab.js";
import { parseNetworkId } from "../../../src/technologies/wifi/control-protocol.js";
import {
  ADD_NETWORK,
  globalSettings,
  networkCommands,
  wifiWpaSupplicantConf,
} from "../../../src/technologies/wifi/network-commands.js";
import { type WifiNetwork, wifiNetworkSchema } from "../../../src/technologies/wifi/schema.js";
import { describeAsRoot } from "../../support/root.js";
import { waitUntil } from "../../support/wait.js";

/**
 * The commands and the config file against the real parser: wpa_supplicant
 * (`-D wired`: no radio here, and network and global settings are parsed the
 * same whatever the driver) in a lab namespace, driven with wpa_cli. Every
 * command must be answered OK, and what wpa_supplicant then holds must be
 * what the config said, byte for byte.
 */

const missing = ["wpa_supplicant", "wpa_cli"].find(
  (tool) => spawnSync(tool, ["-v"]).error !== undefined,
);

const hex = (value: string) => Buffer.from(value, "utf8").toString("hex");

/** How wpa_supplicant prints a string setting: quoted when every byte is printable ASCII, else hex. */
const printed = (value: string) => (/^[\x20-\x7e]*$/.test(value) ? `"${value}"` : hex(value));

const NETWORKS: ReadonlyArray<[string, unknown]> = [
  [
    "WPA2 with quotes, a backslash and a line break in SSID and passphrase, every option",
    {
      ssid: 'we"ird \\ ssid\n',
      keyMgmt: "wpa_psk",
      psk: 'pass"word\\ 1',
      priority: 5,
      scanSsid: true,
      bssid: "02:00:00:00:01:00",
      frequencies: [2412, 5180],
    },
  ],
  [
    "WPA2 with a 64-hex-digit key",
    {
      ssid: "hexkey",
      keyMgmt: "wpa_psk",
      psk: "f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e",
    },
  ],
  ["WPA3-SAE with a one-character password", { ssid: "wpa3 ☕", keyMgmt: "sae", psk: '"' }],
  ["open", { ssid: "open" }],
  ["WEP-40 as text", { ssid: "wep", keyMgmt: "wep", wepKey: 'ab"de' }],
  ["WEP-104 as hex", { ssid: "wep", keyMgmt: "wep", wepKey: "0123456789ABCDEF0123456789" }],
  [
    "PEAP",
    {
      ssid: "corp",
      keyMgmt: "wpa_eap",
      eap: "peap",
      identity: "alice",
      anonymousIdentity: "anonymous",
      password: 'p"w\nx',
      caCert: "/etc/ssl/ca.pem",
      serverDomain: "radius.example",
    },
  ],
  [
    "TTLS with PAP",
    {
      ssid: "corp",
      keyMgmt: "wpa_eap",
      eap: "ttls",
      identity: "bob",
      password: "pw",
      phase2: "pap",
      caCert: "/ca.pem",
    },
  ],
  [
    "TLS",
    {
      ssid: "corp",
      keyMgmt: "wpa_eap",
      eap: "tls",
      identity: "device",
      clientCert: "/c.pem",
      privateKey: "/k.pem",
      privateKeyPassword: "kp",
      caCert: "/ca.pem",
    },
  ],
  ["an open access point", { ssid: "ap", mode: "ap" }],
  ["a WPA2 access point", { ssid: "ap", mode: "ap", keyMgmt: "wpa_psk", psk: "password" }],
  [
    "a WPA3 access point on 5 GHz",
    { ssid: "ap", mode: "ap", keyMgmt: "sae", psk: "pw", frequency: 5180 },
  ],
];

/** What GET_NETWORK must answer afterwards, per network. */
function expectedSettings(network: WifiNetwork): Record<string, string> {
  const expected: Record<string, string> = { ssid: printed(network.ssid) };
  if (network.keyMgmt === "wpa_eap") expected.identity = printed(network.identity);
  if (network.keyMgmt === "sae") expected.ieee80211w = "2";
  if (network.mode === "ap") {
    expected.mode = "2";
    expected.frequency = String(network.frequency ?? 2437);
  }
  if (network.frequencies) expected.freq_list = network.frequencies.join(" ");
  if (network.bssid) expected.bssid = network.bssid;
  if (network.priority !== undefined) expected.priority = String(network.priority);
  return expected;
}

describeAsRoot("wpa_supplicant accepts the generated config file and commands", () => {
  let lab: Lab;
  let supplicant: LabServer | undefined;
  let controlDirectory: string;

  // The control socket is a file: wpa_cli reaches it from here, without entering the namespace.
  const cli = async (command: string): Promise<string> => {
    const { stdout } = await execa("wpa_cli", [
      "-p",
      controlDirectory,
      "-i",
      "eth0",
      ...command.split(" "),
    ]);
    return stdout.trim();
  };

  beforeAll(async () => {
    if (missing) return;
    lab = await Lab.create({ uplinks: ["eth0"] });
    const dir = await lab.tempDir("wifi-commands");
    controlDirectory = join(dir, "ctrl");
    const conf = join(dir, "wpa_supplicant.conf");
    await writeFile(conf, wifiWpaSupplicantConf({ controlDirectory, regulatoryDomain: "DE" }));
    supplicant = await lab.startProcess(
      "wpa_supplicant",
      lab.deviceNs,
      ["wpa_supplicant", "-D", "wired", "-i", "eth0", "-c", conf],
      {
        dir,
        ready: async (gone) => {
          const state = await waitUntil("wpa_supplicant's control socket", async () =>
            gone() ? "exited" : (await cli("PING").catch(() => "")) === "PONG" && "ready",
          );
          if (state === "exited") throw new Error("exited: it refused the config file");
        },
      },
    );
  });

  afterAll(async () => {
    await supplicant?.stop();
    await lab?.teardown();
  });

  it.skipIf(missing !== undefined)(
    `starts with the config file; takes the global settings${missing ? ` (skipped: ${missing} is not installed)` : ""}`,
    async () => {
      expect(await cli("GET country")).toBe("DE");
      for (const { command } of globalSettings("US")) expect(await cli(command)).toBe("OK");
      expect(await cli("GET country")).toBe("US");
    },
  );

  it.skipIf(missing !== undefined)(
    "answers OK to every command of every kind of network and holds exactly the configured values",
    async () => {
      for (const [what, input] of NETWORKS) {
        const network = wifiNetworkSchema.parse(input);
        const id = parseNetworkId(await cli(ADD_NETWORK.command));
        expect(id, what).toBeDefined();
        for (const { command } of networkCommands(id as number, network)) {
          expect(await cli(command), `${what}: ${command}`).toBe("OK");
        }
        for (const [name, value] of Object.entries(expectedSettings(network))) {
          expect(await cli(`GET_NETWORK ${id} ${name}`), `${what}: ${name}`).toBe(value);
        }
      }
    },
    // About 130 wpa_cli runs: a few seconds here, more on a loaded machine.
    60_000,
  );
});
