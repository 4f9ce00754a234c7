import { randomBytes } from "node:crypto";
import { mkdir, open, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { KEY_BYTES } from "./sealed-file.js";

/**
 * The per-device key that seals saved configurations: given, returned by a
 * function (a TPM, a secure element), or read from a key file that is made
 * on first start (random, mode 0600). Never a constant in the code.
 */
export type KeySource =
  | { key: Uint8Array }
  | { keyFunction: () => Promise<Uint8Array> | Uint8Array }
  | { keyFile: string };

export class DeviceKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeviceKeyError";
  }
}

function checked(key: Uint8Array, from: string): Buffer {
  if (key.length !== KEY_BYTES) {
    throw new DeviceKeyError(`${from} must be ${KEY_BYTES} bytes, got ${key.length}`);
  }
  return Buffer.from(key);
}

export async function loadDeviceKey(source: KeySource): Promise<Buffer> {
  if ("key" in source) return checked(source.key, "the key");
  if ("keyFunction" in source) return checked(await source.keyFunction(), "the key function's key");
  return readOrCreateKeyFile(source.keyFile);
}

async function readOrCreateKeyFile(path: string): Promise<Buffer> {
  try {
    return checked(await readFile(path), `key file ${path}`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  let file: Awaited<ReturnType<typeof open>>;
  try {
    // Exclusive: two starts at once must not end up with two keys.
    file = await open(path, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      return checked(await readFile(path), `key file ${path}`);
    }
    throw error;
  }
  try {
    await file.writeFile(key);
    await file.sync();
  } finally {
    await file.close();
  }
  const directory = await open(dirname(path), "r");
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
  return key;
}
