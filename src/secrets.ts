/**
 * The names of fields that hold secrets (WiFi passphrases, EAP passwords,
 * keys), wherever they sit: logs redact them, and everything that leaves the
 * process (inspection, the control socket) masks them. Not a bare "key":
 * property changes carry their name in `key`, and it must stay readable.
 */
export const SECRET_FIELDS = [
  "psk",
  "passphrase",
  "password",
  "wepKey",
  "wep_key",
  "private_key",
  "privateKey",
  "privateKeyPassword",
  "secret",
] as const;

export const MASK = "***";

const SECRET_NAMES = new Set<string>(SECRET_FIELDS);

/**
 * A copy of `value` with every secret field's value replaced by the mask, at
 * any depth, in plain objects and arrays. Anything else (class instances,
 * functions) is left as it is; cycles are kept as cycles.
 */
export function maskSecrets<T>(value: T): T {
  const copies = new Map<object, unknown>();
  const visit = (item: unknown): unknown => {
    if (typeof item !== "object" || item === null) return item;
    const seen = copies.get(item);
    if (seen !== undefined) return seen;
    if (Array.isArray(item)) {
      const copy: unknown[] = [];
      copies.set(item, copy);
      for (const element of item) copy.push(visit(element));
      return copy;
    }
    const prototype = Object.getPrototypeOf(item);
    if (prototype !== Object.prototype && prototype !== null) return item;
    const copy: Record<string, unknown> = {};
    copies.set(item, copy);
    for (const [name, field] of Object.entries(item)) {
      copy[name] = SECRET_NAMES.has(name) && field !== undefined ? MASK : visit(field);
    }
    return copy;
  };
  return visit(value) as T;
}

/** Every secret field's string value in `value`, at any depth: what must never leave the process. */
export function secretValues(value: unknown): string[] {
  const found = new Set<string>();
  const seen = new Set<object>();
  const visit = (item: unknown) => {
    if (typeof item !== "object" || item === null || seen.has(item)) return;
    seen.add(item);
    for (const [name, field] of Object.entries(item)) {
      if (SECRET_NAMES.has(name) && typeof field === "string" && field !== "") found.add(field);
      else visit(field);
    }
  };
  visit(value);
  return [...found];
}

/**
 * Replaces every occurrence of the secrets in a text (a JSON message, a
 * rendered config file inside one) with the mask, in plain and in
 * JSON-escaped forms.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let scrubbed = text;
  for (const secret of secrets) {
    // JSON inside JSON (a machine definition in an inspection message) escapes twice.
    const once = JSON.stringify(secret).slice(1, -1);
    const twice = JSON.stringify(once).slice(1, -1);
    for (const form of new Set([secret, once, twice])) scrubbed = scrubbed.split(form).join(MASK);
  }
  return scrubbed;
}
