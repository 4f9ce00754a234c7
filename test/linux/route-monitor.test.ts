import { describe, expect, it } from "vitest";
import { isForeignDefaultRouteLine } from "../../src/linux/route-monitor.js";

/** Lines as `ip -N -4 -o monitor route` (iproute2 6.1) prints them. */
describe("which route monitor lines are news", () => {
  it.each([
    ["default via 192.0.2.1 dev d0 proto 16 metric 7 ", true],
    ["Deleted default via 192.0.2.1 dev d0 proto 16 metric 7 ", true],
    ["default via 192.0.2.4 dev d0 metric 9 ", true],
    ["default via 192.0.2.4 dev d0 table main metric 9 ", true],
    ["netlink receive error No buffer space available (105)", true],
    ["default via 192.0.2.2 dev d0 proto 222 metric 5 ", false],
    ["Deleted default via 192.0.2.2 dev d0 proto 222 metric 5 ", false],
    ["default via 192.0.2.3 dev d0 table 101 proto 222 ", false],
    ["default via 192.0.2.3 dev d0 table 200 ", false],
    ["7 default metric 50 ", false],
    ["198.51.100.0/24 via 192.0.2.1 dev d0 ", false],
    ["Deleted 192.0.2.0/24 dev d0 proto 2 scope 253 src 192.0.2.5 ", false],
  ])("%j → %s", (line, news) => {
    expect(isForeignDefaultRouteLine(line)).toBe(news);
  });
});
