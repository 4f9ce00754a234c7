/**
 * Predictable interface names, the decision part: given the `ifnames` rules,
 * the links that just appeared and every link present, which to rename and
 * which to leave alone, and why. Pure; src/linux/interface-renamer.ts carries
 * the decisions out.
 *
 * As VintageNet's PredictableInterfaceName: a rule matches a link whose full
 * sysfs hardware path equals the rule's; parentless (`/devices/virtual`) links
 * are never renamed. Beyond it: a link statenet renamed once is never renamed
 * again (someone renamed it since; fighting them would loop), a second link
 * with the hardware path of one already matched is left alone, and a target
 * name held by another link is a refusal rather than a failing command.
 */

/** Where sysfs puts every link without a parent device (veth, bridge, dummy, tunnel). */
export const VIRTUAL_HW_PATH = "/devices/virtual";

export interface IfnameRule {
  /** The full sysfs path of the link's parent device, as `interface/<if>/hw_path` shows it. */
  hwPath: string;
  /** The name the link gets. */
  ifname: string;
}

/** What the decision needs to know of a link. */
export interface RenameCandidate {
  ifname: string;
  ifindex: number;
  hwPath: string;
  /** IFF_UP: the kernel refuses to rename a link that is up, so it goes down and comes back up. */
  adminUp: boolean;
}

export type RefusalReason =
  /** Parentless links have no stable place in the hardware to be named after. */
  | { reason: "virtual" }
  /** statenet renamed this link once, and someone renamed it since. */
  | { reason: "already-renamed" }
  /** Another link with the same hardware path already took the rule's name. */
  | { reason: "second-match"; matchedBy: string }
  /** The rule's name belongs to another link, whose hardware path differs. */
  | { reason: "name-taken"; holderHwPath: string };

export type RenameDecision =
  | {
      action: "rename";
      ifindex: number;
      from: string;
      to: string;
      hwPath: string;
      wasUp: boolean;
    }
  | ({
      action: "refuse";
      ifindex: number;
      ifname: string;
      hwPath: string;
      to?: string;
    } & RefusalReason);

/** One sentence for the log. */
export function describeRefusal(decision: Extract<RenameDecision, { action: "refuse" }>): string {
  switch (decision.reason) {
    case "virtual":
      return `not renaming ${decision.ifname}: a virtual interface (${VIRTUAL_HW_PATH}) has no hardware path to match`;
    case "already-renamed":
      return `not renaming ${decision.ifname} to ${decision.to}: statenet renamed it once already, and it has been renamed since`;
    case "second-match":
      return `not renaming ${decision.ifname} to ${decision.to}: ${decision.matchedBy} already matched hardware path ${decision.hwPath}`;
    case "name-taken":
      return `not renaming ${decision.ifname} to ${decision.to}: another interface (hardware path ${decision.holderHwPath}) has that name`;
  }
}

type Verdict =
  | { kind: "none" }
  | { kind: "rename"; to: string }
  | ({ kind: "refuse"; to?: string } & RefusalReason);

function verdict(
  rules: readonly IfnameRule[],
  link: RenameCandidate,
  present: readonly RenameCandidate[],
  renamed: ReadonlySet<number>,
): Verdict {
  if (link.hwPath === VIRTUAL_HW_PATH) return { kind: "refuse", reason: "virtual" };
  // Duplicate paths are refused by the schema; should one slip through, the first rule wins.
  const rule = rules.find((candidate) => candidate.hwPath === link.hwPath);
  if (!rule || rule.ifname === link.ifname) return { kind: "none" };
  const to = rule.ifname;
  if (renamed.has(link.ifindex)) return { kind: "refuse", to, reason: "already-renamed" };
  const others = present.filter((other) => other.ifindex !== link.ifindex);
  const first = others.find(
    (other) => other.hwPath === link.hwPath && (other.ifname === to || renamed.has(other.ifindex)),
  );
  if (first) return { kind: "refuse", to, reason: "second-match", matchedBy: first.ifname };
  const holder = others.find((other) => other.ifname === to);
  if (holder) return { kind: "refuse", to, reason: "name-taken", holderHwPath: holder.hwPath };
  return { kind: "rename", to };
}

/**
 * The decisions for the links of `appeared` (each also in `present`): links
 * that no rule matches, or that already have their rule's name, get none.
 * Renames are decided one at a time, each seeing the names the earlier ones
 * gave, and a link whose name is taken is retried once others have moved
 * (`eth0 → eth1` after `eth1 → lan1`); only a true cycle (`eth0 ↔ eth1`) is
 * refused. Renames come first, in the order they must run, then refusals in
 * the order the links appeared. `renamed`: the ifindexes statenet renamed before.
 */
export function planRenames(
  rules: readonly IfnameRule[],
  appeared: readonly RenameCandidate[],
  present: readonly RenameCandidate[],
  renamed: ReadonlySet<number>,
): RenameDecision[] {
  if (rules.length === 0) return [];
  let view = present.map((link) => ({ ...link }));
  const renamedNow = new Set(renamed);
  // Renames in the order they must run; refusals by link, in the order the links appeared.
  const renames: RenameDecision[] = [];
  const refusals = new Map<number, RenameDecision>();
  let pending = appeared.filter((link) => view.some((other) => other.ifindex === link.ifindex));
  let progressed = true;
  while (progressed) {
    progressed = false;
    const waiting: RenameCandidate[] = [];
    for (const original of pending) {
      const link = view.find((other) => other.ifindex === original.ifindex) as RenameCandidate;
      const result = verdict(rules, link, view, renamedNow);
      if (result.kind === "none") continue;
      if (result.kind === "refuse") {
        refusals.set(link.ifindex, refusal(link, result));
        if (result.reason === "name-taken") waiting.push(link);
        continue;
      }
      refusals.delete(link.ifindex);
      renames.push({
        action: "rename",
        ifindex: link.ifindex,
        from: link.ifname,
        to: result.to,
        hwPath: link.hwPath,
        wasUp: link.adminUp,
      });
      view = view.map((other) =>
        other.ifindex === link.ifindex ? { ...other, ifname: result.to } : other,
      );
      renamedNow.add(link.ifindex);
      progressed = true;
    }
    pending = waiting;
  }
  const order = appeared.map((link) => link.ifindex);
  const refused = [...refusals.values()].sort(
    (a, b) => order.indexOf(a.ifindex) - order.indexOf(b.ifindex),
  );
  return [...renames, ...refused];
}

function refusal(
  link: RenameCandidate,
  result: Extract<Verdict, { kind: "refuse" }>,
): RenameDecision {
  const { kind: _kind, ...reason } = result;
  return {
    action: "refuse",
    ifindex: link.ifindex,
    ifname: link.ifname,
    hwPath: link.hwPath,
    ...reason,
  };
}
