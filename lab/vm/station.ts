import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { hex } from "../../src/ieee8021x/wpa-supplicant-conf.js";
import { processExit, terminate } from "../../src/linux/terminate.js";

/**
 * A plain station for tests that play the device on the other side of
 * statenet's access point: wpa_supplicant on a radio in a namespace, one
 * network, no statenet. It runs in the foreground as our child, so stopping
 * it is a signal to its pid and nothing else.
 */

export type StationSecurity =
  | { type: "open" }
  | { type: "wpa2-psk"; passphrase: string }
  /** WPA3-Personal: SAE with management frame protection required. */
  | { type: "sae"; password: string };

export interface StationOptions {
  ns: string;
  ifname: string;
  ssid: string;
  security: StationSecurity;
  /** Where its config file and control socket go; the test removes it. */
  dir: string;
}

export interface Station {
  readonly pid: number;
  /** Kills wpa_supplicant by its pid; the station leaves the access point. */
  stop(): Promise<void>;
}

export class StationConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`station ${field}: ${message}`);
    this.name = "StationConfigError";
  }
}

/** The network block's lines; secrets in hex, so no character of theirs ends the value. */
function securityLines(security: StationSecurity): string[] {
  switch (security.type) {
    case "open":
      return ["key_mgmt=NONE"];
    case "wpa2-psk":
      // A quoted passphrase (hex would be read as the key itself), so no quote in it.
      if (!/^[\x20-\x21\x23-\x7e]{8,63}$/.test(security.passphrase)) {
        throw new StationConfigError(
          "security.passphrase",
          "must be 8 to 63 printable ASCII characters, no double quote",
        );
      }
      return ["key_mgmt=WPA-PSK", `psk="${security.passphrase}"`];
    case "sae":
      if (security.password === "" || security.password.includes("\0")) {
        throw new StationConfigError("security.password", "must be non-empty, without NUL");
      }
      return ["key_mgmt=SAE", "ieee80211w=2", `sae_password=${hex(security.password)}`];
  }
}

/** The station's wpa_supplicant.conf. */
export function stationConfig(options: Omit<StationOptions, "ns" | "ifname">): string {
  const ssidBytes = Buffer.byteLength(options.ssid, "utf8");
  if (ssidBytes < 1 || ssidBytes > 32) {
    throw new StationConfigError("ssid", `must be 1 to 32 bytes, not ${ssidBytes}`);
  }
  return [
    `ctrl_interface=DIR=${join(options.dir, "ctrl")}`,
    "network={",
    ...[`ssid=${hex(options.ssid)}`, ...securityLines(options.security)].map((line) => `  ${line}`),
    "}",
    "",
  ].join("\n");
}

/** Starts the station's wpa_supplicant; it associates on its own, in the background. */
export async function startStation(options: StationOptions): Promise<Station> {
  const conf = join(options.dir, `station-${options.ifname}.conf`);
  await writeFile(conf, stationConfig(options), { mode: 0o600 });
  const child = execa(
    "ip",
    [
      ...["netns", "exec", options.ns],
      ...["wpa_supplicant", "-D", "nl80211", "-i", options.ifname, "-c", conf],
    ],
    { stdin: "ignore", stdout: "ignore", stderr: "ignore", reject: false },
  );
  let exited = false;
  const exit = processExit(child).then(() => {
    exited = true;
  });
  if (child.pid === undefined) throw new Error(`wpa_supplicant on ${options.ifname} did not start`);
  const { pid } = child;
  // A pid that exited may belong to another process by now: no signal then.
  return { pid, stop: async () => (exited ? undefined : terminate(pid, exit)) };
}
