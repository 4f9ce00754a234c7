import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { processExit, terminate } from "../../src/linux/terminate.js";
import { eapUsers, type LabEapUser } from "../authenticator.js";
import type { LabPki } from "../pki.js";
import { pollUntil } from "../poll.js";

/**
 * A hostapd access point on a radio of the VM lab, in a network namespace.
 * hostapd runs in the foreground as our child, so stopping it is a signal to
 * its pid and nothing else. It logs to a file (flushed per line, unlike its
 * stdout into a pipe), which is what readiness and `waitForLog` read. Without
 * -d hostapd logs no key material.
 */

export type AccessPointSecurity =
  | { type: "open" }
  | { type: "wpa2-psk"; passphrase: string }
  | { type: "sae"; password: string }
  /**
   * WPA2-Enterprise: hostapd's own EAP server checks `users` (as the wired
   * lab's authenticator does) and proves itself with the PKI's server certificate.
   */
  | {
      type: "wpa-eap";
      users: readonly LabEapUser[];
      pki: Pick<LabPki, "caCert" | "serverCert" | "serverKey">;
    };

/** Where hostapd's files other than its config go. */
export interface HostapdFiles {
  ctrlDir: string;
  /** Written for `wpa-eap` only. */
  eapUserFile: string;
}

export interface AccessPointOptions {
  /** The radio's interface, e.g. `wlan0`, already in `ns`. */
  ifname: string;
  ns: string;
  ssid: string;
  /** 2.4 GHz channel 1 to 13, default 6. */
  channel?: number;
  security: AccessPointSecurity;
  /** Beacons without the SSID and no answer to a wildcard probe: a station must probe for it by name. */
  hidden?: boolean;
  /** How long hostapd may take to enable the AP, default 30 s (TCG is slow). */
  readyTimeoutMs?: number;
}

export interface AccessPoint {
  readonly pid: number;
  readonly ifname: string;
  readonly ns: string;
  /** The control interface directory, for `hostapd_cli -p`. */
  readonly ctrlDir: string;
  /** hostapd's log so far. */
  log(): Promise<string>;
  /** Resolves with the first log line matching `pattern`. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Kills hostapd by its pid and removes its files. */
  stop(): Promise<void>;
}

export class AccessPointConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`access point ${field}: ${message}`);
    this.name = "AccessPointConfigError";
  }
}

/** 2.4 GHz channel → frequency in MHz, for a station's `scan_freq`. */
export function channelFrequency(channel: number): number {
  return channel === 14 ? 2484 : 2407 + 5 * channel;
}

/** A file hostapd opens: one line of its config. */
function absolutePath(field: string, path: string): string {
  if (!path.startsWith("/") || /[\0\r\n]/.test(path)) {
    throw new AccessPointConfigError(field, "must be an absolute path on one line");
  }
  return path;
}

/** The hostapd.conf for `options`; throws naming the field for bad input. */
export function hostapdConfig(options: AccessPointOptions, files: HostapdFiles): string {
  const { ifname, ssid, channel = 6, security, hidden = false } = options;
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(ifname)) {
    throw new AccessPointConfigError("ifname", `not an interface name: ${JSON.stringify(ifname)}`);
  }
  const ssidBytes = Buffer.from(ssid, "utf8");
  if (ssidBytes.length < 1 || ssidBytes.length > 32) {
    throw new AccessPointConfigError("ssid", `must be 1 to 32 bytes, not ${ssidBytes.length}`);
  }
  if (!Number.isInteger(channel) || channel < 1 || channel > 13) {
    throw new AccessPointConfigError(
      "channel",
      `must be a 2.4 GHz channel 1 to 13, not ${channel}`,
    );
  }
  const lines = [
    `interface=${ifname}`,
    "driver=nl80211",
    `ctrl_interface=${absolutePath("ctrlDir", files.ctrlDir)}`,
    // Hex: any bytes, nothing for the config parser to trip on.
    `ssid2=${ssidBytes.toString("hex")}`,
    "hw_mode=g",
    `channel=${channel}`,
    ...(hidden ? ["ignore_broadcast_ssid=1"] : []),
  ];
  switch (security.type) {
    case "open":
      break;
    case "wpa2-psk": {
      const { passphrase } = security;
      if (!/^[\x20-\x7e]{8,63}$/.test(passphrase)) {
        throw new AccessPointConfigError(
          "security.passphrase",
          "must be 8 to 63 printable ASCII characters",
        );
      }
      lines.push(
        "wpa=2",
        "wpa_key_mgmt=WPA-PSK",
        "rsn_pairwise=CCMP",
        `wpa_passphrase=${passphrase}`,
      );
      break;
    }
    case "sae": {
      const { password } = security;
      if (password.length === 0 || /[\0\r\n]/.test(password)) {
        throw new AccessPointConfigError(
          "security.password",
          "must be non-empty, on one line, without NUL",
        );
      }
      // WPA3-Personal requires management frame protection; sae_pwe=2 offers
      // both hunting-and-pecking and hash-to-element.
      lines.push(
        "wpa=2",
        "wpa_key_mgmt=SAE",
        "rsn_pairwise=CCMP",
        "ieee80211w=2",
        "sae_pwe=2",
        `sae_password=${password}`,
      );
      break;
    }
    case "wpa-eap": {
      const { pki } = security;
      if (security.users.length === 0) {
        throw new AccessPointConfigError("security.users", "must name at least one user");
      }
      lines.push(
        "wpa=2",
        "wpa_key_mgmt=WPA-EAP",
        "rsn_pairwise=CCMP",
        "ieee8021x=1",
        "eap_server=1",
        `eap_user_file=${absolutePath("eapUserFile", files.eapUserFile)}`,
        `ca_cert=${absolutePath("security.pki.caCert", pki.caCert)}`,
        `server_cert=${absolutePath("security.pki.serverCert", pki.serverCert)}`,
        `private_key=${absolutePath("security.pki.serverKey", pki.serverKey)}`,
      );
      break;
    }
    default:
      throw new AccessPointConfigError(
        "security.type",
        `unknown: ${JSON.stringify((security as { type: unknown }).type)}`,
      );
  }
  return `${lines.join("\n")}\n`;
}

/** Starts hostapd; resolves once the AP is enabled, and on failure leaves nothing running. */
export async function startAccessPoint(options: AccessPointOptions): Promise<AccessPoint> {
  const dir = await mkdtemp(join(tmpdir(), "statenet-hostapd-"));
  const ctrlDir = join(dir, "ctrl");
  const logFile = join(dir, "hostapd.log");
  const confFile = join(dir, "hostapd.conf");
  const eapUserFile = join(dir, "eap_users");
  try {
    await writeFile(confFile, hostapdConfig(options, { ctrlDir, eapUserFile }), { mode: 0o600 });
    if (options.security.type === "wpa-eap") {
      await writeFile(eapUserFile, eapUsers(options.security.users), { mode: 0o600 });
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const child = execa(
    "ip",
    ["netns", "exec", options.ns, "hostapd", "-t", "-f", logFile, confFile],
    {
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
      buffer: false,
      reject: false,
    },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4096);
  });
  let exited = false;
  const exit = processExit(child).then((status) => {
    exited = true;
    return status;
  });
  const { pid } = child;
  const log = () => readFile(logFile, "utf8").catch(() => "");
  const stop = async () => {
    if (pid !== undefined && !exited) await terminate(pid, exit);
    await rm(dir, { recursive: true, force: true });
  };
  const waitForLog = (pattern: RegExp, timeoutMs = 30_000) =>
    pollUntil(
      `hostapd on ${options.ifname} to log ${pattern}`,
      async () => (await log()).split("\n").find((line) => pattern.test(line)),
      { timeoutMs, gone: () => (exited ? `hostapd exited ${stderr.trim()}` : undefined) },
    );
  try {
    if (pid === undefined) throw new Error(`hostapd did not start: ${stderr.trim()}`);
    await waitForLog(/AP-ENABLED/, options.readyTimeoutMs);
  } catch (error) {
    const tail = (await log()).split("\n").slice(-15).join("\n");
    await stop();
    throw new Error(
      `access point on ${options.ifname} in ${options.ns}: ${(error as Error).message}\n${tail}`,
    );
  }
  return { pid, ifname: options.ifname, ns: options.ns, ctrlDir, log, waitForLog, stop };
}
