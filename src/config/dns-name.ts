/**
 * A plain DNS name: dot-separated labels of letters, digits and inner
 * hyphens, 253 characters at most. Host names and search domains end up on
 * daemon command lines and in resolv.conf, so nothing else may pass. A regex,
 * so the exported JSON Schema carries the same rule for editors.
 */
export const DNS_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function isDnsName(name: string): boolean {
  return DNS_NAME.test(name);
}
