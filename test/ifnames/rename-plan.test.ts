import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  describeRefusal,
  type IfnameRule,
  planRenames,
  type RenameCandidate,
  type RenameDecision,
  VIRTUAL_HW_PATH,
} from "../../src/ifnames/rename-plan.js";
import { RUNS } from "../fuzz/arbitraries.js";

const PCI_A = "/devices/pci0000:00/0000:00:10.0/virtio1";
const PCI_B = "/devices/pci0000:00/0000:00:11.0/virtio2";
const USB = "/devices/platform/soc/usb1/1-1/1-1:1.0";

let nextIndex = 1;
const link = (ifname: string, hwPath: string, extra: Partial<RenameCandidate> = {}) => ({
  ifname,
  ifindex: nextIndex++,
  hwPath,
  adminUp: false,
  ...extra,
});

const RULES: IfnameRule[] = [
  { hwPath: PCI_A, ifname: "lanA" },
  { hwPath: PCI_B, ifname: "lanB" },
];

/** All links present, all of them just appeared (a start). */
const planAll = (rules: IfnameRule[], links: RenameCandidate[], renamed = new Set<number>()) =>
  planRenames(rules, links, links, renamed);

describe("planning interface renames", () => {
  it("renames each NIC to its rule's name, whichever order the kernel named them in", () => {
    for (const [first, second] of [
      [PCI_A, PCI_B],
      [PCI_B, PCI_A],
    ] as const) {
      const eth0 = link("eth0", first);
      const eth1 = link("eth1", second);
      const decisions = planAll(RULES, [eth0, eth1]);
      const byPath = new Map(RULES.map((rule) => [rule.hwPath, rule.ifname]));
      expect(decisions).toEqual([
        expect.objectContaining({ action: "rename", from: "eth0", to: byPath.get(first) }),
        expect.objectContaining({ action: "rename", from: "eth1", to: byPath.get(second) }),
      ]);
    }
  });

  it("says nothing of links no rule names, or already named as their rule says", () => {
    const lanA = link("lanA", PCI_A);
    expect(planAll(RULES, [lanA, link("eth5", USB)])).toEqual([]);
  });

  it("plans nothing without rules, not even for virtual links", () => {
    expect(planAll([], [link("veth0", VIRTUAL_HW_PATH), link("eth0", PCI_A)])).toEqual([]);
  });

  it("refuses virtual links, even under a rule naming /devices/virtual", () => {
    const veth = link("veth0", VIRTUAL_HW_PATH);
    const rules = [...RULES, { hwPath: VIRTUAL_HW_PATH, ifname: "virt" }];
    expect(planAll(rules, [veth])).toEqual([
      {
        action: "refuse",
        reason: "virtual",
        ifindex: veth.ifindex,
        ifname: "veth0",
        hwPath: VIRTUAL_HW_PATH,
      },
    ]);
  });

  it("refuses a second link with the hardware path of one already renamed", () => {
    const lanA = link("lanA", PCI_A);
    const wlan9 = link("wlan9", PCI_A);
    const renamed = new Set([lanA.ifindex]);
    expect(planRenames(RULES, [wlan9], [lanA, wlan9], renamed)).toEqual([
      expect.objectContaining({
        action: "refuse",
        reason: "second-match",
        ifname: "wlan9",
        to: "lanA",
        matchedBy: "lanA",
      }),
    ]);
  });

  it("of two links with one hardware path appearing together, renames the first only", () => {
    const eth0 = link("eth0", PCI_A);
    const eth1 = link("eth1", PCI_A);
    expect(planAll(RULES, [eth0, eth1])).toEqual([
      expect.objectContaining({ action: "rename", from: "eth0", to: "lanA" }),
      expect.objectContaining({
        action: "refuse",
        reason: "second-match",
        ifname: "eth1",
        matchedBy: "lanA",
      }),
    ]);
  });

  it("refuses a second match also when the first kept its name by itself", () => {
    const lanA = link("lanA", PCI_A);
    const eth1 = link("eth1", PCI_A);
    expect(planRenames(RULES, [eth1], [lanA, eth1], new Set())).toEqual([
      expect.objectContaining({ action: "refuse", reason: "second-match", matchedBy: "lanA" }),
    ]);
  });

  it("never renames a link it renamed before (someone renamed it since)", () => {
    const mine = link("mine", PCI_A);
    expect(planRenames(RULES, [mine], [mine], new Set([mine.ifindex]))).toEqual([
      expect.objectContaining({
        action: "refuse",
        reason: "already-renamed",
        ifname: "mine",
        to: "lanA",
      }),
    ]);
  });

  it("refuses a name another link holds, naming that link's hardware path", () => {
    const dummy = link("lanA", VIRTUAL_HW_PATH);
    const eth0 = link("eth0", PCI_A);
    expect(planRenames(RULES, [eth0], [dummy, eth0], new Set())).toEqual([
      expect.objectContaining({
        action: "refuse",
        reason: "name-taken",
        ifname: "eth0",
        to: "lanA",
        holderHwPath: VIRTUAL_HW_PATH,
      }),
    ]);
  });

  it("renames a link whose name another rename frees first, in the order that works", () => {
    const rules = [
      { hwPath: PCI_A, ifname: "eth1" },
      { hwPath: PCI_B, ifname: "lanB" },
    ];
    const eth0 = link("eth0", PCI_A);
    const eth1 = link("eth1", PCI_B);
    expect(planAll(rules, [eth0, eth1])).toEqual([
      expect.objectContaining({ action: "rename", from: "eth1", to: "lanB" }),
      expect.objectContaining({ action: "rename", from: "eth0", to: "eth1" }),
    ]);
  });

  it("refuses both sides of a swap (eth0 ↔ eth1): no rename could go first", () => {
    const rules = [
      { hwPath: PCI_A, ifname: "eth1" },
      { hwPath: PCI_B, ifname: "eth0" },
    ];
    const decisions = planAll(rules, [link("eth0", PCI_A), link("eth1", PCI_B)]);
    expect(
      decisions.map((decision) => [decision.action, "reason" in decision && decision.reason]),
    ).toEqual([
      ["refuse", "name-taken"],
      ["refuse", "name-taken"],
    ]);
  });

  it("takes a link down to rename it only if it was up", () => {
    const up = link("eth0", PCI_A, { adminUp: true });
    expect(planAll(RULES, [up])).toEqual([
      expect.objectContaining({ action: "rename", wasUp: true }),
    ]);
  });

  it("ignores appeared links that are not present (gone again)", () => {
    const gone = link("eth0", PCI_A);
    expect(planRenames(RULES, [gone], [], new Set())).toEqual([]);
  });

  it("describes each refusal with its reason", () => {
    const texts = [
      { reason: "virtual" as const },
      { reason: "already-renamed" as const, to: "lanA" },
      { reason: "second-match" as const, to: "lanA", matchedBy: "lanA" },
      { reason: "name-taken" as const, to: "lanA", holderHwPath: VIRTUAL_HW_PATH },
    ].map((reason) =>
      describeRefusal({ action: "refuse", ifindex: 3, ifname: "eth0", hwPath: PCI_A, ...reason }),
    );
    expect(texts).toEqual([
      expect.stringContaining("virtual interface"),
      expect.stringContaining("renamed it once already"),
      expect.stringContaining(`lanA already matched hardware path ${PCI_A}`),
      expect.stringContaining("another interface (hardware path /devices/virtual) has that name"),
    ]);
  });
});

// --- properties ------------------------------------------------------------------

const PATHS = [VIRTUAL_HW_PATH, PCI_A, PCI_B, USB, "/devices/platform/eth"];
const NAMES = ["eth0", "eth1", "eth2", "lanA", "lanB", "wlan0", "usb0"];

const scenario = fc
  .record({
    links: fc.uniqueArray(
      fc.record({
        ifname: fc.constantFrom(...NAMES),
        hwPath: fc.constantFrom(...PATHS),
        adminUp: fc.boolean(),
      }),
      { selector: (candidate) => candidate.ifname, maxLength: NAMES.length },
    ),
    rules: fc
      .uniqueArray(
        fc.record({
          hwPath: fc.constantFrom(...PATHS.slice(1)),
          ifname: fc.constantFrom(...NAMES),
        }),
        {
          selector: (rule) => rule.hwPath,
          maxLength: 4,
        },
      )
      .map((rules) =>
        rules.filter(
          (rule, index) => rules.findIndex((other) => other.ifname === rule.ifname) === index,
        ),
      ),
    appearedMask: fc.array(fc.boolean(), { minLength: NAMES.length, maxLength: NAMES.length }),
    renamedMask: fc.array(fc.boolean(), { minLength: NAMES.length, maxLength: NAMES.length }),
  })
  .map(({ links, rules, appearedMask, renamedMask }) => {
    const present: RenameCandidate[] = links.map((candidate, index) => ({
      ...candidate,
      ifindex: index + 1,
    }));
    return {
      rules,
      present,
      appeared: present.filter((_, index) => appearedMask[index]),
      renamed: new Set(
        present.filter((_, index) => renamedMask[index]).map((candidate) => candidate.ifindex),
      ),
    };
  });

type Rename = Extract<RenameDecision, { action: "rename" }>;
const renamesOf = (decisions: RenameDecision[]) =>
  decisions.filter((decision): decision is Rename => decision.action === "rename");

/** The links after the renames ran in order; throws on a rename the kernel would refuse. */
function apply(
  present: readonly RenameCandidate[],
  decisions: RenameDecision[],
): RenameCandidate[] {
  let view = present.map((candidate) => ({ ...candidate }));
  for (const rename of renamesOf(decisions)) {
    const target = view.find((candidate) => candidate.ifindex === rename.ifindex);
    if (target?.ifname !== rename.from) throw new Error(`${rename.from} is not there`);
    if (view.some((candidate) => candidate.ifname === rename.to))
      throw new Error(`${rename.to} is taken`);
    view = view.map((candidate) =>
      candidate.ifindex === rename.ifindex ? { ...candidate, ifname: rename.to } : candidate,
    );
  }
  return view;
}

describe("planning interface renames, for any links and rules", () => {
  it("only ever renames appeared, non-virtual, never-renamed links to their rule's free name", () => {
    fc.assert(
      fc.property(scenario, ({ rules, present, appeared, renamed }) => {
        const decisions = planRenames(rules, appeared, present, renamed);
        const after = apply(present, decisions);
        expect(new Set(after.map((candidate) => candidate.ifname)).size).toBe(after.length);
        for (const rename of renamesOf(decisions)) {
          expect(appeared.some((candidate) => candidate.ifindex === rename.ifindex)).toBe(true);
          expect(rename.hwPath).not.toBe(VIRTUAL_HW_PATH);
          expect(renamed.has(rename.ifindex)).toBe(false);
          expect(rules.find((rule) => rule.hwPath === rename.hwPath)?.ifname).toBe(rename.to);
        }
        // One link per rule at most.
        const targets = renamesOf(decisions).map((rename) => rename.to);
        expect(new Set(targets).size).toBe(targets.length);
      }),
      { numRuns: RUNS.many },
    );
  });

  it("decides once per appeared link at most, and refuses every virtual one when there are rules", () => {
    fc.assert(
      fc.property(scenario, ({ rules, present, appeared, renamed }) => {
        const decisions = planRenames(rules, appeared, present, renamed);
        const ifindexes = decisions.map((decision) => decision.ifindex);
        expect(new Set(ifindexes).size).toBe(ifindexes.length);
        const virtual = appeared.filter((candidate) => candidate.hwPath === VIRTUAL_HW_PATH);
        const refusedVirtual = decisions.filter(
          (decision) => decision.action === "refuse" && decision.reason === "virtual",
        );
        expect(refusedVirtual.length).toBe(rules.length > 0 ? virtual.length : 0);
      }),
      { numRuns: RUNS.many },
    );
  });

  it("has nothing more to rename once its renames ran", () => {
    fc.assert(
      fc.property(scenario, ({ rules, present, appeared, renamed }) => {
        const decisions = planRenames(rules, appeared, present, renamed);
        const after = apply(present, decisions);
        const moved = new Set(renamesOf(decisions).map((rename) => rename.ifindex));
        const nowRenamed = new Set([...renamed, ...moved]);
        const reappeared = after.filter((candidate) => moved.has(candidate.ifindex));
        expect(renamesOf(planRenames(rules, reappeared, after, nowRenamed))).toEqual([]);
      }),
      { numRuns: RUNS.many },
    );
  });
});
