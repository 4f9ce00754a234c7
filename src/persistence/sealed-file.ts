import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * The format of a saved interface configuration: AES-256-GCM over a JSON
 * document, bound to its interface. Layout: magic `SNCF`, format version
 * (1 byte), 12-byte nonce, ciphertext, 16-byte tag. The magic, the version
 * and the interface name are authenticated data, so a file copied to
 * another interface's name, altered or cut short fails to open.
 */

const MAGIC = Buffer.from("SNCF", "ascii");
export const FORMAT_VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + 1 + NONCE_BYTES;
export const KEY_BYTES = 32;

export type OpenFailure = "not_sealed" | "unknown_version" | "not_authentic";

export class SealedFileError extends Error {
  constructor(
    readonly reason: OpenFailure,
    message: string,
  ) {
    super(message);
    this.name = "SealedFileError";
  }
}

function associatedData(ifname: string): Buffer {
  return Buffer.concat([MAGIC, Buffer.from([FORMAT_VERSION]), Buffer.from(ifname, "utf8")]);
}

export function seal(plaintext: Buffer, key: Buffer, ifname: string): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(associatedData(ifname));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([
    MAGIC,
    Buffer.from([FORMAT_VERSION]),
    nonce,
    ciphertext,
    cipher.getAuthTag(),
  ]);
}

export function unseal(sealed: Buffer, key: Buffer, ifname: string): Buffer {
  if (sealed.length < HEADER_BYTES + TAG_BYTES || !sealed.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new SealedFileError("not_sealed", "not a statenet configuration file (or cut short)");
  }
  const version = sealed[MAGIC.length];
  if (version !== FORMAT_VERSION) {
    throw new SealedFileError("unknown_version", `unknown format version ${version}`);
  }
  const nonce = sealed.subarray(MAGIC.length + 1, HEADER_BYTES);
  const ciphertext = sealed.subarray(HEADER_BYTES, sealed.length - TAG_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAAD(associatedData(ifname));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new SealedFileError(
      "not_authentic",
      `does not open with this device's key for ${ifname} (wrong key, altered, or another interface's file)`,
    );
  }
}
