import { describe, expect, it } from "vitest";
import {
  AccessPointConfigError,
  type AccessPointOptions,
  channelFrequency,
  hostapdConfig,
} from "../../lab/vm/access-point.js";

const base = { ifname: "wlan0", ns: "sn-vm-test-ap", ssid: "statenet-lab" } as const;
const config = (options: Partial<AccessPointOptions>) =>
  hostapdConfig({ ...base, security: { type: "open" }, ...options }, "/tmp/ctrl");

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
  });
});

describe("channelFrequency", () => {
  it("maps 2.4 GHz channels to MHz", () => {
    expect([1, 6, 11, 13, 14].map(channelFrequency)).toEqual([2412, 2437, 2462, 2472, 2484]);
  });
});
