import { z } from "zod";
import { DNS_NAME } from "../config/dns-name.js";

/**
 * A value wpa_supplicant reads from its config file. Written hex-encoded, so
 * quotes and spaces are fine; a NUL would end it early.
 */
const eapText = z
  .string()
  .min(1, "must not be empty")
  .refine((value) => Buffer.byteLength(value) <= 255, "must be at most 255 bytes")
  .refine((value) => !value.includes("\0"), "must not contain a NUL character");

/** A file wpa_supplicant opens (certificates, keys); checked when it starts. */
const eapFile = z.string().startsWith("/", "must be an absolute path").pipe(eapText);

/** The server's certificate must be checked, or anyone on the wire can ask for the password. */
const serverCheck = {
  /** The CA certificate (PEM) that signed the authentication server's certificate. */
  caCert: eapFile,
  /** Accept only a server certificate for this domain (or a subdomain of it). */
  serverDomain: z.string().regex(DNS_NAME, "must be a domain name").optional(),
};

export const eapMd5Schema = z.strictObject({
  eap: z.literal("md5"),
  identity: eapText,
  password: eapText,
});

/** PEAP with MSCHAPv2 inside: what most enterprise networks use with a user name and password. */
export const eapPeapSchema = z.strictObject({
  eap: z.literal("peap"),
  identity: eapText,
  /** Sent in the clear before the tunnel is up; the real identity goes inside it. */
  anonymousIdentity: eapText.optional(),
  password: eapText,
  ...serverCheck,
});

/** TTLS: a password inside a TLS tunnel, checked with MSCHAPv2 or PAP (eduroam and others). */
export const eapTtlsSchema = z.strictObject({
  eap: z.literal("ttls"),
  identity: eapText,
  anonymousIdentity: eapText.optional(),
  password: eapText,
  /** How the password is checked inside the tunnel. */
  phase2: z.enum(["mschapv2", "pap"], { error: "must be mschapv2 or pap" }).default("mschapv2"),
  ...serverCheck,
});

export const eapTlsSchema = z.strictObject({
  eap: z.literal("tls"),
  identity: eapText,
  clientCert: eapFile,
  privateKey: eapFile,
  privateKeyPassword: eapText.optional(),
  ...serverCheck,
});

/** Wired 802.1X: authenticate to the switch port before it lets traffic through. */
export const ieee8021xSchema = z.discriminatedUnion(
  "eap",
  [eapMd5Schema, eapPeapSchema, eapTtlsSchema, eapTlsSchema],
  {
    error: (issue) =>
      issue.code === "invalid_union" ? "must be md5, peap, ttls or tls" : undefined,
  },
);

export type Ieee8021xConfig = z.infer<typeof ieee8021xSchema>;
