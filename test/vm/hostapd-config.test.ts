import { describe, expect, it } from "vitest";
import type { LabEapUser } from "../../lab/authenticator.js";
import {
  AccessPointConfigError,
  type AccessPointOptions,
  channelFrequency,
  hostapdConfig,
} from "../../lab/vm/access-point.js";
import { StationConfigError, stationConfig } from "../../lab/vm/station.js";

const base = { ifname: "wlan0", ns: "sn-vm-test-ap", ssid: "statenet-lab" } as const;
const files = { ctrlDir: "/tmp/ctrl", eapUserFile: "/tmp/eap_users" };
const config = (options: Partial<AccessPointOptions>) =>
  hostapdConfig({ ...base, security: { type: "open" }, ...options }, files);
const pki = { caCert: "/pki/ca.pem", serverCert: "/pki/server.pem", serverKey: "/pki/server.key" };
const eap = (overrides: Partial<{ users: LabEapUser[]; pki: typeof pki }> = {}) =>
  ({
    type: "wpa-eap",
    users: [{ identity: "alice", method: "peap", password: "alice secret" }],
    pki,
    ...overrides,
  }) as const;

describe("hostapdConfig", () => {
  it("writes an open AP on channel 6 by default, the SSID in hex", () => {
    expect(config({})).toBe(
      [
        "interface=wlan0",
        "driver=nl80211",
        "ctrl_interface=/tmp/ctrl",
        `ssid2=${Buffer.from("statenet-lab").toString("hex")}`,
        "hw_mode=g",
        "channel=6",
        "",
      ].join("\n"),
    );
  });

  it("writes WPA2-PSK with CCMP", () => {
    const text = config({
      channel: 11,
      security: { type: "wpa2-psk", passphrase: "correct horse" },
    });
    expect(text).toContain("channel=11\n");
    expect(text).toContain(
      "wpa=2\nwpa_key_mgmt=WPA-PSK\nrsn_pairwise=CCMP\nwpa_passphrase=correct horse\n",
    );
  });

  it("writes WPA3-SAE with management frame protection required", () => {
    const text = config({ security: { type: "sae", password: "wpa3 secret" } });
    expect(text).toContain("wpa_key_mgmt=SAE\n");
    expect(text).toContain("ieee80211w=2\n");
    expect(text).toContain("sae_password=wpa3 secret\n");
  });

  it("hides the SSID only when asked: no SSID in beacons, no answer to a wildcard probe", () => {
    expect(config({})).not.toContain("ignore_broadcast_ssid");
    expect(config({ hidden: true })).toContain("channel=6\nignore_broadcast_ssid=1\n");
  });

  it("writes WPA2-Enterprise with hostapd's own EAP server, its users file and certificate", () => {
    const text = config({ security: eap() });
    expect(text).toContain(
      [
        "wpa=2",
        "wpa_key_mgmt=WPA-EAP",
        "rsn_pairwise=CCMP",
        "ieee8021x=1",
        "eap_server=1",
        "eap_user_file=/tmp/eap_users",
        "ca_cert=/pki/ca.pem",
        "server_cert=/pki/server.pem",
        "private_key=/pki/server.key",
        "",
      ].join("\n"),
    );
    // The passwords go to the users file, not here.
    expect(text).not.toContain("alice");
  });

  it("names the field of bad input, without echoing a secret", () => {
    const fieldOf = (options: Partial<AccessPointOptions>) => {
      try {
        config(options);
      } catch (error) {
        expect(error).toBeInstanceOf(AccessPointConfigError);
        expect((error as Error).message).not.toContain("seven77");
        return (error as AccessPointConfigError).field;
      }
      return undefined;
    };
    expect(fieldOf({ ssid: "" })).toBe("ssid");
    expect(fieldOf({ ssid: "x".repeat(33) })).toBe("ssid");
    expect(fieldOf({ channel: 14 })).toBe("channel");
    expect(fieldOf({ ifname: "wlan0\nssid=evil" })).toBe("ifname");
    expect(fieldOf({ security: { type: "wpa2-psk", passphrase: "seven77" } })).toBe(
      "security.passphrase",
    );
    expect(fieldOf({ security: { type: "sae", password: "seven77\nwpa=0" } })).toBe(
      "security.password",
    );
    expect(fieldOf({ security: eap({ users: [] }) })).toBe("security.users");
    expect(fieldOf({ security: eap({ pki: { ...pki, serverKey: "server.key" } }) })).toBe(
      "security.pki.serverKey",
    );
    expect(fieldOf({ security: eap({ pki: { ...pki, caCert: "/pki/ca.pem\nwpa=0" } }) })).toBe(
      "security.pki.caCert",
    );
  });
});

describe("channelFrequency", () => {
  it("maps 2.4 GHz channels to MHz", () => {
    expect([1, 6, 11, 13, 14].map(channelFrequency)).toEqual([2412, 2437, 2462, 2472, 2484]);
  });
});

describe("stationConfig (the station that joins statenet's access point)", () => {
  const station = (security: Parameters<typeof stationConfig>[0]["security"]) =>
    stationConfig({ ssid: "statenet-ap", security, dir: "/tmp/station" });

  it("writes one network, the SSID and SAE password in hex, PMF required for SAE", () => {
    expect(station({ type: "sae", password: "wpa3 secret" })).toBe(
      [
        "ctrl_interface=DIR=/tmp/station/ctrl",
        "network={",
        `  ssid=${Buffer.from("statenet-ap").toString("hex")}`,
        "  key_mgmt=SAE",
        "  ieee80211w=2",
        `  sae_password=${Buffer.from("wpa3 secret").toString("hex")}`,
        "}",
        "",
      ].join("\n"),
    );
    expect(station({ type: "open" })).toContain("  key_mgmt=NONE\n}");
    expect(station({ type: "wpa2-psk", passphrase: "correct horse" })).toContain(
      '  key_mgmt=WPA-PSK\n  psk="correct horse"\n',
    );
  });

  it("refuses a passphrase that would end its quotes, naming the field", () => {
    const refused = (passphrase: string) => {
      try {
        station({ type: "wpa2-psk", passphrase });
      } catch (error) {
        expect(error).toBeInstanceOf(StationConfigError);
        return (error as StationConfigError).field;
      }
      return undefined;
    };
    expect(refused('horse"\nkey_mgmt=NONE')).toBe("security.passphrase");
    expect(refused('correct "horse"')).toBe("security.passphrase");
  });
});
