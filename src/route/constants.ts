/** The first per-interface routing table. */
export const FIRST_TABLE = 100;
/** At most this many interfaces get routes at the same time (tables 100..107). */
export const MAX_TABLES = 8;
export const LAST_TABLE = FIRST_TABLE + MAX_TABLES - 1;
/** Priority of the `from <address> lookup <table>` rules: before `main` (32766). */
export const RULE_PRIORITY = 100;
/**
 * Routing protocol number stamped on every route and rule statenet adds, so a
 * restarted manager can tell its own entries from everyone else's.
 */
export const STATENET_PROTOCOL = 222;

export function isManagedTable(table: number): boolean {
  return Number.isInteger(table) && table >= FIRST_TABLE && table <= LAST_TABLE;
}
