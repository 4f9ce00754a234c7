import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ADD_NETWORK,
  type ControlCommand,
  globalSettings,
  networkCommands,
  pskFromPassphrase,
  WifiCommandError,
  wifiWpaSupplicantConf,
} from "../../../src/technologies/wifi/network-commands.js";
import { type WifiNetwork, wifiNetworkSchema } from "../../../src/technologies/wifi/schema.js";
import { anyText, chunk, RUNS } from "../../fuzz/arbitraries.js";

const hex = (value: string) => Buffer.from(value, "utf8").toString("hex");
const commands = (list: ControlCommand[]) => list.map(({ command }) => command);
const secrets = (list: ControlCommand[]) =>
  list.filter(({ secret }) => secret).map(({ command }) => command);
const network = (input: unknown): WifiNetwork => wifiNetworkSchema.parse(input);

describe("pskFromPassphrase (IEEE 802.11i-2004 H.4 test vectors)", () => {
  it.each([
    ["password", "IEEE", "f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e"],
    [
      "ThisIsAPassword",
      "ThisIsASSID",
      "0dc0d6eb90555ed6419756b9a15ec3e3209b63df707dd508d14581f8982721af",
    ],
    [
      "a".repeat(32),
      "Z".repeat(32),
      "becb93866bb8c3832cb777c2f559807c8c59afcb6eae734885001300a981cc62",
    ],
  ])("%s on %s", (passphrase, ssid, psk) => {
    expect(pskFromPassphrase(passphrase, ssid)).toBe(psk);
  });

  const wpaPassphrase = spawnSync("wpa_passphrase", ["-v"]).error === undefined;
  it.skipIf(!wpaPassphrase)(
    `agrees with wpa_passphrase for random passphrases and SSIDs${wpaPassphrase ? "" : " (skipped: wpa_passphrase is not installed)"}`,
    () => {
      const printable = fc.string({
        unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
        minLength: 8,
        maxLength: 63,
      });
      fc.assert(
        fc.property(
          printable,
          fc
            .string({ minLength: 1, maxLength: 32 })
            .filter((ssid) => Buffer.byteLength(ssid) <= 32 && !ssid.includes("\0")),
          (passphrase, ssid) => {
            // The passphrase on stdin: wpa_passphrase reads it from there when not given.
            const result = spawnSync("wpa_passphrase", [ssid], { input: `${passphrase}\n` });
            const psk = /\n\tpsk=([0-9a-f]{64})\n/.exec(result.stdout.toString())?.[1];
            expect(psk).toBe(pskFromPassphrase(passphrase, ssid));
          },
        ),
        { numRuns: RUNS.few },
      );
    },
  );
});

describe("networkCommands", () => {
  it("ADD_NETWORK comes first; its reply is the id the rest use", () => {
    expect(ADD_NETWORK).toEqual({ command: "ADD_NETWORK", secret: false });
  });

  it("WPA2-PSK: the key derived from the passphrase, never the passphrase; every option", () => {
    const list = networkCommands(
      3,
      network({
        ssid: "IEEE",
        keyMgmt: "wpa_psk",
        psk: "password",
        priority: 10,
        scanSsid: true,
        bssid: "02:AA:00:00:01:00",
        frequencies: [2412, 5180],
      }),
    );
    expect(list).toEqual([
      { command: `SET_NETWORK 3 ssid ${hex("IEEE")}`, secret: false },
      { command: "SET_NETWORK 3 key_mgmt WPA-PSK", secret: false },
      {
        command:
          "SET_NETWORK 3 psk f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e",
        secret: true,
      },
      { command: "SET_NETWORK 3 scan_ssid 1", secret: false },
      { command: "SET_NETWORK 3 bssid 02:aa:00:00:01:00", secret: false },
      { command: "SET_NETWORK 3 priority 10", secret: false },
      { command: "SET_NETWORK 3 freq_list 2412 5180", secret: false },
      { command: "ENABLE_NETWORK 3", secret: false },
    ]);
    expect(commands(list).join("\n")).not.toContain("password");
  });

  it("a 64-hex-digit psk is the key: sent as is, in lower case", () => {
    const key = "F42C6FC52DF0EBEF9EBB4B90B38A5F902E83FE1B135A70E23AED762E9710A12E";
    expect(
      secrets(networkCommands(0, network({ ssid: "x", keyMgmt: "wpa_psk", psk: key }))),
    ).toEqual([`SET_NETWORK 0 psk ${key.toLowerCase()}`]);
  });

  it("WPA3-SAE: PMF required, the password hex-encoded as sae_password", () => {
    expect(networkCommands(1, network({ ssid: "w3", keyMgmt: "sae", psk: 'p"w' }))).toEqual([
      { command: `SET_NETWORK 1 ssid ${hex("w3")}`, secret: false },
      { command: "SET_NETWORK 1 key_mgmt SAE", secret: false },
      { command: "SET_NETWORK 1 ieee80211w 2", secret: false },
      { command: `SET_NETWORK 1 sae_password ${hex('p"w')}`, secret: true },
      { command: "ENABLE_NETWORK 1", secret: false },
    ]);
  });

  it("open: key_mgmt NONE only", () => {
    expect(commands(networkCommands(0, network({ ssid: "cafe" })))).toEqual([
      `SET_NETWORK 0 ssid ${hex("cafe")}`,
      "SET_NETWORK 0 key_mgmt NONE",
      "ENABLE_NETWORK 0",
    ]);
  });

  it("WEP: key 0 as hex (characters encoded, hex digits as they are), open or shared authentication", () => {
    expect(networkCommands(2, network({ ssid: "old", keyMgmt: "wep", wepKey: 'ab"de' }))).toEqual([
      { command: `SET_NETWORK 2 ssid ${hex("old")}`, secret: false },
      { command: "SET_NETWORK 2 key_mgmt NONE", secret: false },
      { command: `SET_NETWORK 2 wep_key0 ${hex('ab"de')}`, secret: true },
      { command: "SET_NETWORK 2 wep_tx_keyidx 0", secret: false },
      { command: "SET_NETWORK 2 auth_alg OPEN SHARED", secret: false },
      { command: "ENABLE_NETWORK 2", secret: false },
    ]);
    expect(
      secrets(
        networkCommands(
          2,
          network({ ssid: "old", keyMgmt: "wep", wepKey: "0123456789ABCDEF0123456789" }),
        ),
      ),
    ).toEqual(["SET_NETWORK 2 wep_key0 0123456789abcdef0123456789"]);
  });

  it("WPA-EAP: the wired 802.1X settings, passwords secret", () => {
    const list = networkCommands(
      4,
      network({
        ssid: "corp",
        keyMgmt: "wpa_eap",
        eap: "peap",
        identity: "alice",
        anonymousIdentity: "anonymous",
        password: "hunter2",
        caCert: "/etc/ssl/ca.pem",
        serverDomain: "radius.example",
      }),
    );
    expect(list).toEqual([
      { command: `SET_NETWORK 4 ssid ${hex("corp")}`, secret: false },
      { command: "SET_NETWORK 4 key_mgmt WPA-EAP", secret: false },
      { command: "SET_NETWORK 4 eap PEAP", secret: false },
      { command: `SET_NETWORK 4 identity ${hex("alice")}`, secret: false },
      { command: `SET_NETWORK 4 anonymous_identity ${hex("anonymous")}`, secret: false },
      { command: `SET_NETWORK 4 password ${hex("hunter2")}`, secret: true },
      { command: 'SET_NETWORK 4 phase2 "auth=MSCHAPV2"', secret: false },
      { command: `SET_NETWORK 4 ca_cert ${hex("/etc/ssl/ca.pem")}`, secret: false },
      { command: `SET_NETWORK 4 domain_suffix_match ${hex("radius.example")}`, secret: false },
      { command: "ENABLE_NETWORK 4", secret: false },
    ]);
    const tls = networkCommands(
      5,
      network({
        ssid: "corp",
        keyMgmt: "wpa_eap",
        eap: "tls",
        identity: "device",
        clientCert: "/c.pem",
        privateKey: "/k.pem",
        privateKeyPassword: "kp",
        caCert: "/ca.pem",
      }),
    );
    expect(secrets(tls)).toEqual([`SET_NETWORK 5 private_key_passwd ${hex("kp")}`]);
  });

  it("access point: mode 2 on its frequency (2437 unless given), WPA2 with CCMP only", () => {
    expect(
      commands(
        networkCommands(
          0,
          network({ ssid: "dev", mode: "ap", keyMgmt: "wpa_psk", psk: "password" }),
        ),
      ),
    ).toEqual([
      `SET_NETWORK 0 ssid ${hex("dev")}`,
      "SET_NETWORK 0 mode 2",
      "SET_NETWORK 0 frequency 2437",
      "SET_NETWORK 0 key_mgmt WPA-PSK",
      "SET_NETWORK 0 proto RSN",
      "SET_NETWORK 0 pairwise CCMP",
      `SET_NETWORK 0 psk ${pskFromPassphrase("password", "dev")}`,
      "ENABLE_NETWORK 0",
    ]);
    expect(
      commands(
        networkCommands(
          0,
          network({ ssid: "dev", mode: "ap", keyMgmt: "sae", psk: "pw", frequency: 5180 }),
        ),
      ),
    ).toEqual([
      `SET_NETWORK 0 ssid ${hex("dev")}`,
      "SET_NETWORK 0 mode 2",
      "SET_NETWORK 0 frequency 5180",
      "SET_NETWORK 0 key_mgmt SAE",
      "SET_NETWORK 0 proto RSN",
      "SET_NETWORK 0 pairwise CCMP",
      "SET_NETWORK 0 ieee80211w 2",
      `SET_NETWORK 0 sae_password ${hex("pw")}`,
      "ENABLE_NETWORK 0",
    ]);
    expect(commands(networkCommands(0, network({ ssid: "dev", mode: "ap" })))).toContain(
      "SET_NETWORK 0 key_mgmt NONE",
    );
  });

  it("refuses, naming the field, what it cannot write: a bad id, an unvalidated bssid or frequency", () => {
    const open = network({ ssid: "x" });
    expect(() => networkCommands(-1, open)).toThrow(WifiCommandError);
    expect(() => networkCommands(1.5, open)).toThrow(/^id: /);
    expect(() =>
      networkCommands(0, { ...open, bssid: "02:00:00:00:01:00\nREMOVE_NETWORK all" }),
    ).toThrow(/^bssid: /);
    expect(() => networkCommands(0, { ...open, frequencies: [2412, Number.NaN] })).toThrow(
      /^frequencies: /,
    );
    expect(() => networkCommands(0, { ...open, priority: 1e300 })).toThrow(/^priority: /);
  });
});

/** What wpa_supplicant reads as one value: printable ASCII, no line break. */
const SAFE_COMMAND = /^(?:SET_NETWORK 7 [a-z_0-9]+ [\x20-\x7e]*|ENABLE_NETWORK 7)$/;
/** The only quotes: wpa_supplicant's own phase2 syntax, never user text. */
const QUOTED = new Set(['SET_NETWORK 7 phase2 "auth=MSCHAPV2"', 'SET_NETWORK 7 phase2 "auth=PAP"']);
const SECRET_NAMES = new Set(["psk", "sae_password", "wep_key0", "password", "private_key_passwd"]);

/** Networks of every kind with arbitrary text where users put text, not validated (worst case). */
const anyNetwork: fc.Arbitrary<WifiNetwork> = fc
  .record({
    kind: fc.constantFrom("none", "wep", "wpa_psk", "sae", "peap", "ttls", "tls"),
    // Mostly text that fits an SSID's 32 bytes, some that does not.
    ssid: fc.oneof({ weight: 3, arbitrary: chunk }, { weight: 1, arbitrary: anyText }),
    secret: anyText,
    identity: anyText,
    ap: fc.boolean(),
  })
  .map(({ kind, ssid, secret, identity, ap }): WifiNetwork => {
    const mode = ap ? ("ap" as const) : ("infrastructure" as const);
    switch (kind) {
      case "none":
        return { ssid, mode, keyMgmt: "none" };
      case "wep":
        return { ssid, mode, keyMgmt: "wep", wepKey: secret };
      case "wpa_psk":
      case "sae":
        return { ssid, mode, keyMgmt: kind, psk: secret };
      case "tls":
        return {
          ssid,
          mode,
          keyMgmt: "wpa_eap",
          eap: "tls",
          identity,
          clientCert: identity,
          privateKey: identity,
          privateKeyPassword: secret,
          caCert: identity,
          serverDomain: identity,
        };
      default:
        return {
          ssid,
          mode,
          keyMgmt: "wpa_eap",
          eap: kind as "peap" | "ttls",
          identity,
          anonymousIdentity: identity,
          password: secret,
          caCert: identity,
          phase2: "pap",
        } as WifiNetwork;
    }
  });

const ssidFits = (ssid: string) => Buffer.byteLength(ssid) >= 1 && Buffer.byteLength(ssid) <= 32;

/** The commands; none for text that is no SSID, which networkCommands must refuse, naming the field. */
function commandsFor(input: WifiNetwork): ControlCommand[] {
  if (ssidFits(input.ssid)) return networkCommands(7, input);
  expect(() => networkCommands(7, input)).toThrow(/^ssid: /);
  return [];
}

describe("networkCommands (fuzzed)", () => {
  it("emits no line break, control character or unescaped quote whatever the SSID and passwords hold", () => {
    fc.assert(
      fc.property(anyNetwork, (input) => {
        for (const { command } of commandsFor(input)) {
          expect(command).toMatch(SAFE_COMMAND);
          if (command.includes('"')) expect(QUOTED.has(command)).toBe(true);
        }
      }),
      { numRuns: RUNS.many },
    );
  });

  it("sends the SSID's exact UTF-8 bytes and marks exactly the key and password settings secret", () => {
    fc.assert(
      fc.property(anyNetwork, (input) => {
        fc.pre(ssidFits(input.ssid));
        const list = networkCommands(7, input);
        const ssid = list.find(({ command }) => command.startsWith("SET_NETWORK 7 ssid "));
        expect(ssid?.command).toBe(`SET_NETWORK 7 ssid ${hex(input.ssid)}`);
        for (const { command, secret } of list) {
          const name = command.split(" ")[2] ?? "";
          expect(secret).toBe(SECRET_NAMES.has(name));
        }
      }),
      { numRuns: RUNS.many },
    );
  });

  it("a secret reaches only commands marked secret", () => {
    const passphrase = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
      minLength: 8,
      maxLength: 63,
    });
    fc.assert(
      fc.property(
        fc.constantFrom("wpa_psk", "sae", "wep"),
        fc.string({ minLength: 1, maxLength: 32 }),
        passphrase,
        (keyMgmt, ssid, secret) => {
          fc.pre(!ssid.includes(secret) && !hex(ssid).includes(hex(secret)));
          const input: WifiNetwork =
            keyMgmt === "wep"
              ? { ssid, mode: "infrastructure", keyMgmt, wepKey: secret }
              : { ssid, mode: "infrastructure", keyMgmt, psk: secret };
          const forms = [secret, hex(secret), pskFromPassphrase(secret, ssid)];
          for (const { command, secret: marked } of networkCommands(0, input)) {
            if (!marked) for (const form of forms) expect(command).not.toContain(form);
          }
        },
      ),
      { numRuns: RUNS.some },
    );
  });
});

describe("global settings and the config file", () => {
  it("globalSettings: the country, optional PMF, both SAE password element methods", () => {
    expect(globalSettings("US")).toEqual([
      { command: "SET country US", secret: false },
      { command: "SET pmf 1", secret: false },
      { command: "SET sae_pwe 2", secret: false },
    ]);
    expect(commands(globalSettings())[0]).toBe("SET country 00");
    expect(() => globalSettings("us")).toThrow(/^regulatoryDomain: /);
  });

  it("wifiWpaSupplicantConf: the control socket and globals, no network and nothing secret", () => {
    expect(
      wifiWpaSupplicantConf({
        controlDirectory: "/run/statenet/wpa_supplicant/wlan0",
        regulatoryDomain: "DE",
      }),
    ).toBe(
      [
        "# Written by statenet on every start of wpa_supplicant; changes are lost.",
        "# Networks are added over the control socket.",
        "ctrl_interface=DIR=/run/statenet/wpa_supplicant/wlan0",
        "ap_scan=1",
        "update_config=0",
        "p2p_disabled=1",
        "country=DE",
        "pmf=1",
        "sae_pwe=2",
        "",
      ].join("\n"),
    );
    expect(wifiWpaSupplicantConf({ controlDirectory: "/run/x" })).toContain("\ncountry=00\n");
  });

  it("refuses a control directory that would end the line or add a field", () => {
    for (const controlDirectory of [
      "relative",
      "/run/x\nnetwork={",
      "/run/x GROUP=wheel",
      "/run/\0x",
    ]) {
      expect(() => wifiWpaSupplicantConf({ controlDirectory })).toThrow(/^controlDirectory: /);
    }
    expect(() =>
      wifiWpaSupplicantConf({ controlDirectory: "/run/x", regulatoryDomain: "USA" }),
    ).toThrow(/^regulatoryDomain: /);
  });
});
