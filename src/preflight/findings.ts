/**
 * What `statenet check` found, one line each. Errors are what stops
 * statenet from working at all (`run` refuses to start on them); warnings
 * are what makes it work badly or fight someone else.
 */

export type FindingLevel = "ok" | "warning" | "error";

export interface Finding {
  level: FindingLevel;
  /** The subject, for scripts reading `--json`. */
  check: PreflightCheck;
  /** One line for a person at a console. */
  message: string;
}

export type PreflightCheck =
  | "config"
  | "ip"
  | "flock"
  | "policy-routing"
  | "udhcpc"
  | "udhcpd"
  | "wpa_supplicant"
  | "files"
  | "resolv.conf"
  | "processes";

const LEVEL_WIDTH = "warning".length;

/** `ok      ip is iproute2 6.1.0 …`: levels padded so the messages line up. */
export function formatFinding(finding: Finding): string {
  return `${finding.level.padEnd(LEVEL_WIDTH)} ${finding.message}`;
}

export function errorsOf(findings: readonly Finding[]): Finding[] {
  return findings.filter((finding) => finding.level === "error");
}
