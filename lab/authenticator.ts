import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { hex } from "../src/ieee8021x/wpa-supplicant-conf.js";
import type { Lab, LabServer } from "./namespace-lab.js";
import type { LabPki } from "./pki.js";

/**
 * An 802.1X switch port for a lab uplink: hostapd (`driver=wired`) as the
 * authenticator with its own EAP server in the router namespace, and an nft
 * gate on the router's end of the veth that drops everything but EAPOL from
 * the device until hostapd authorizes it, as a switch with port-based access
 * control does.
 */

export interface LabEapUser {
  identity: string;
  method: "md5" | "peap" | "ttls" | "tls";
  /** MD5, PEAP (MSCHAPv2 inside the tunnel) and TTLS (PAP or MSCHAPv2 inside). */
  password?: string;
}

export interface LabAuthenticatorOptions {
  users: readonly LabEapUser[];
  /** Needed for PEAP and TLS: the server's certificate and the CA that checks clients. */
  pki?: LabPki;
  /** A gate closed before the authenticator starts; by default one is closed now. */
  gate?: PortGate;
}

/** The switch's port-based access control: only EAPOL passes while closed. */
export interface PortGate {
  open(): Promise<void>;
  close(): Promise<void>;
  /** The port passes everything again. */
  remove(): Promise<void>;
}

export interface LabAuthenticator extends LabServer {
  /** MAC addresses hostapd authorized (and the gate let through) and has not dropped since. */
  readonly authorized: ReadonlySet<string>;
  /** How many authentications failed. */
  readonly failures: number;
  /** Resolves with the MAC of the next authorization (or of one already there). */
  waitForAuthorized(timeoutMs: number): Promise<string>;
  /** hostapd's own view of the stations (`hostapd_cli all_sta`). */
  stations(): Promise<string>;
  /** Starts the exchange with this MAC now, as a switch does when a link comes up (`new_sta`). */
  startSession(mac: string): Promise<void>;
  /**
   * The link went down (`lab.unplug`): like a switch, close the port until
   * the device authenticates again. hostapd's wired driver does not notice.
   */
  linkLost(): Promise<void>;
}

const EAPOL = "0x888e";
const TABLE = "statenet_port";

/** hostapd's eap_user lines; passwords in hex, so any character works. Also the VM lab's WPA-EAP access point uses them. */
export function eapUsers(users: readonly LabEapUser[]): string {
  const quoted = (identity: string) => {
    if (/["\n]/.test(identity)) throw new Error(`lab EAP identity ${JSON.stringify(identity)}`);
    return `"${identity}"`;
  };
  const line = (user: LabEapUser): string => {
    const password = user.password === undefined ? "" : ` ${hex(user.password)}`;
    switch (user.method) {
      case "md5":
        return `${quoted(user.identity)} MD5${password}`;
      case "peap":
        return `${quoted(user.identity)} MSCHAPV2${password} [2]`;
      case "ttls":
        return `${quoted(user.identity)} TTLS-PAP,TTLS-MSCHAPV2${password} [2]`;
      case "tls":
        return `${quoted(user.identity)} TLS`;
    }
  };
  // Any outer identity (an anonymous one) may open a tunnel; who it is shows inside.
  return [...users.map(line), "* PEAP,TTLS,TLS", ""].join("\n");
}

function hostapdConf(routerIfname: string, dir: string, pki: LabPki | undefined): string {
  return [
    `interface=${routerIfname}`,
    "driver=wired",
    "ieee8021x=1",
    "use_pae_group_addr=1",
    "eap_server=1",
    `eap_user_file=${join(dir, "eap_users")}`,
    `ctrl_interface=${join(dir, "ctrl")}`,
    "eap_reauth_period=0",
    ...(pki
      ? [`ca_cert=${pki.caCert}`, `server_cert=${pki.serverCert}`, `private_key=${pki.serverKey}`]
      : []),
    "",
  ].join("\n");
}

/** Closes the router's end of an uplink to everything but EAPOL from the device. */
export async function closePort(lab: Lab, ifname: string): Promise<PortGate> {
  const uplink = lab.uplink(ifname);
  const nft = async (script: string) => {
    await execa("ip", ["netns", "exec", uplink.routerNs, "nft", "-f", "-"], { input: script });
  };
  const closeRule = `add rule netdev ${TABLE} ingress ether type != ${EAPOL} drop\n`;
  await nft(
    [
      `table netdev ${TABLE} {`,
      `  chain ingress { type filter hook ingress device "${uplink.routerIfname}" priority 0; policy accept; }`,
      "}",
      closeRule,
    ].join("\n"),
  );
  // Changes in the order they were asked for; one that failed does not stop the next.
  let changes: Promise<void> = Promise.resolve();
  const change = (script: string) => {
    changes = changes.catch(() => undefined).then(() => nft(script));
    return changes;
  };
  return {
    open: () => change(`flush chain netdev ${TABLE} ingress\n`),
    close: () => change(`flush chain netdev ${TABLE} ingress\n${closeRule}`),
    remove: () => change(`delete table netdev ${TABLE}\n`),
  };
}

export async function startAuthenticator(
  lab: Lab,
  ifname: string,
  options: LabAuthenticatorOptions,
): Promise<LabAuthenticator> {
  const uplink = lab.uplink(ifname);
  const ns = uplink.routerNs;
  const dir = await lab.tempDir("hostapd");
  await writeFile(join(dir, "eap_users"), eapUsers(options.users), { mode: 0o600 });
  await writeFile(join(dir, "hostapd.conf"), hostapdConf(uplink.routerIfname, dir, options.pki), {
    mode: 0o600,
  });
  const gate = options.gate ?? (await closePort(lab, ifname));
  const cli = (...args: string[]) =>
    execa("hostapd_cli", ["-p", join(dir, "ctrl"), "-i", uplink.routerIfname, ...args], {
      reject: false,
    });

  const authorized = new Set<string>();
  const waiters = new Set<(mac: string) => void>();
  let failures = 0;
  const portClosed = (mac: string) => {
    authorized.delete(mac);
    if (authorized.size === 0) gate.close().catch(() => undefined);
  };
  const onLine = (line: string) => {
    const [, event, mac] = /^\S+: (\S+) ?(\S*)/.exec(line) ?? [];
    if (!mac) return;
    // A reauthentication of a station hostapd still holds authorized succeeds
    // without a new AP-STA-CONNECTED: the success itself opens the port.
    if (event === "AP-STA-CONNECTED" || event === "CTRL-EVENT-EAP-SUCCESS") {
      gate.open().then(
        () => {
          authorized.add(mac);
          for (const resolve of waiters) resolve(mac);
        },
        // The lab is going away (its namespace is gone): nothing to open.
        () => undefined,
      );
    } else if (event === "AP-STA-DISCONNECTED") {
      portClosed(mac);
    } else if (event === "CTRL-EVENT-EAP-FAILURE") {
      failures += 1;
      portClosed(mac);
    }
  };
  const server = await lab.startProcess("hostapd", ns, ["hostapd", join(dir, "hostapd.conf")], {
    dir,
    onLine,
    ready: async (gone) => {
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline) {
        if (gone()) throw new Error("exited before its control socket answered");
        if ((await cli("ping")).stdout.includes("PONG")) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error("control socket did not answer within 5 s");
    },
  });
  return {
    pid: server.pid,
    stop: async () => {
      await server.stop();
      await gate.remove();
    },
    authorized,
    get failures() {
      return failures;
    },
    waitForAuthorized: (timeoutMs) =>
      new Promise<string>((resolve, reject) => {
        const [already] = authorized;
        if (already) return resolve(already);
        const timer = setTimeout(() => {
          waiters.delete(done);
          reject(new Error(`no 802.1X authorization on ${ifname} within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = (mac: string) => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve(mac);
        };
        waiters.add(done);
      }),
    stations: async () => (await cli("all_sta")).stdout,
    linkLost: async () => {
      // hostapd keeps the station: only the gate knows the link went.
      // (A `deauthenticate` would remove the station seconds later, even
      // after it authenticated again.)
      authorized.clear();
      await gate.close();
    },
    startSession: async (mac) => {
      const result = await cli("new_sta", mac);
      if (!result.stdout.includes("OK"))
        throw new Error(`hostapd new_sta ${mac}: ${result.stdout}`);
    },
  };
}
