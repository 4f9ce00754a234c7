import { join } from "node:path";
import { execa } from "execa";

/**
 * A throwaway certificate authority for a lab's 802.1X server (PEAP, EAP-TLS):
 * a CA, a server certificate for `serverName` and a client certificate whose
 * key is encrypted with `clientKeyPassword`. P-256 keys: made in milliseconds.
 */
export interface LabPki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  serverName: string;
  clientCert: string;
  clientKey: string;
  clientKeyPassword: string;
}

const KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

async function openssl(args: readonly string[]): Promise<void> {
  await execa("openssl", args, { env: { LC_ALL: "C" } });
}

/** A certificate for `commonName` signed by the CA; the key is encrypted when a password is given. */
async function issue(
  dir: string,
  name: string,
  commonName: string,
  extension: string,
  password?: string,
): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const request = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  const keyProtection = password ? ["-passout", `pass:${password}`] : ["-noenc"];
  await openssl([
    "req",
    ...KEY,
    ...keyProtection,
    "-keyout",
    key,
    "-out",
    request,
    "-subj",
    `/CN=${commonName}`,
    "-addext",
    extension,
  ]);
  await openssl([
    "x509",
    "-req",
    "-in",
    request,
    "-CA",
    join(dir, "ca.pem"),
    "-CAkey",
    join(dir, "ca.key"),
    "-CAcreateserial",
    "-days",
    "2",
    "-copy_extensions",
    "copy",
    "-out",
    cert,
  ]);
  return { cert, key };
}

export async function createLabPki(
  dir: string,
  serverName = "auth.lab.test",
  clientKeyPassword = "lab client key",
): Promise<LabPki> {
  await openssl([
    "req",
    "-x509",
    ...KEY,
    "-noenc",
    "-keyout",
    join(dir, "ca.key"),
    "-out",
    join(dir, "ca.pem"),
    "-subj",
    "/CN=statenet lab CA",
    "-days",
    "2",
  ]);
  const server = await issue(dir, "server", serverName, `subjectAltName=DNS:${serverName}`);
  const client = await issue(
    dir,
    "client",
    "lab client",
    "extendedKeyUsage=clientAuth",
    clientKeyPassword,
  );
  return {
    caCert: join(dir, "ca.pem"),
    serverCert: server.cert,
    serverKey: server.key,
    serverName,
    clientCert: client.cert,
    clientKey: client.key,
    clientKeyPassword,
  };
}
