import type { Ieee8021xConfig } from "./schema.js";

/**
 * wpa_supplicant's configuration for wired 802.1X. Every user-supplied value
 * is written hex-encoded (wpa_supplicant reads an unquoted string value as
 * hex), so quotes, spaces or `}` in a password cannot end it or add lines.
 */

/** A string as wpa_supplicant and hostapd read it unquoted: hex of its UTF-8 bytes. */
export function hex(value: string): string {
  return Buffer.from(value, "utf8").toString("hex");
}

/** A network block's `name=value`, or (value undefined) nothing. */
export type Setting = [name: string, value: string | undefined];

/** The authentication server's certificate: signed by this CA, for this domain. */
function serverCheck(network: { caCert: string; serverDomain?: string | undefined }): Setting[] {
  return [
    ["ca_cert", hex(network.caCert)],
    ["domain_suffix_match", network.serverDomain && hex(network.serverDomain)],
  ];
}

/** PEAP and TTLS: a password checked inside a TLS tunnel to a checked server. */
function tunnelled(
  eap: "PEAP" | "TTLS",
  inner: "MSCHAPV2" | "PAP",
  network: Extract<Ieee8021xConfig, { eap: "peap" | "ttls" }>,
): Setting[] {
  return [
    ["eap", eap],
    ["identity", hex(network.identity)],
    ["anonymous_identity", network.anonymousIdentity && hex(network.anonymousIdentity)],
    ["password", hex(network.password)],
    ["phase2", `"auth=${inner}"`],
    ...serverCheck(network),
  ];
}

/**
 * The EAP method's settings, shared by wired 802.1X (this file) and WPA-EAP
 * on WiFi (sent over the control socket, which reads values as the file does).
 */
export function eapSettings(network: Ieee8021xConfig): Setting[] {
  switch (network.eap) {
    case "md5":
      return [
        ["eap", "MD5"],
        ["identity", hex(network.identity)],
        ["password", hex(network.password)],
      ];
    case "peap":
      return tunnelled("PEAP", "MSCHAPV2", network);
    case "ttls":
      return tunnelled("TTLS", network.phase2 === "pap" ? "PAP" : "MSCHAPV2", network);
    case "tls":
      return [
        ["eap", "TLS"],
        ["identity", hex(network.identity)],
        ["client_cert", hex(network.clientCert)],
        ["private_key", hex(network.privateKey)],
        ["private_key_passwd", network.privateKeyPassword && hex(network.privateKeyPassword)],
        ...serverCheck(network),
      ];
  }
}

/** The file's content; it holds the password, so it is written with mode 0600. */
export function wiredWpaSupplicantConf(network: Ieee8021xConfig): string {
  const settings: Setting[] = [
    ["key_mgmt", "IEEE8021X"],
    // No dynamic WEP keys on a wire.
    ["eapol_flags", "0"],
    ...eapSettings(network),
  ];
  return [
    "# Written by statenet on every start of wpa_supplicant; changes are lost.",
    // Wired: no scanning, the one network block is used as is.
    "ap_scan=0",
    "network={",
    ...settings.flatMap(([name, value]) => (value === undefined ? [] : [`\t${name}=${value}`])),
    "}",
    "",
  ].join("\n");
}
