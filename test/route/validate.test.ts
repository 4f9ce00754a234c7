import { expect, it } from "vitest";
import { routeReportProblem } from "../../src/route/validate.js";

const eth0 = { address: "192.0.2.10", prefixLength: 24 };

it.each([
  [
    { type: "route.set_addresses", ifname: "eth0", addresses: [eth0], gateway: "192.0.2.1" },
    undefined,
  ],
  [{ type: "route.refresh_metrics" }, undefined],
  [
    { type: "route.clear_addresses", ifname: "eth0 flush" },
    'invalid interface name "eth0 flush": only letters, digits and _ . @ - are allowed',
  ],
  [
    {
      type: "route.set_addresses",
      ifname: "eth0",
      addresses: [{ address: "192.0.2.256", prefixLength: 24 }],
    },
    "addresses[0].address: not an IPv4 address: 192.0.2.256",
  ],
  [
    {
      type: "route.set_addresses",
      ifname: "eth0",
      addresses: [eth0, { address: "192.0.2.11", prefixLength: 33 }],
    },
    "addresses[1].prefixLength: must be 0..32",
  ],
  [
    { type: "route.set_addresses", ifname: "eth0", addresses: [eth0], gateway: "gw" },
    "gateway: not an IPv4 address: gw",
  ],
  [
    { type: "route.set_connection", ifname: "eth0", status: "online" },
    "status: must be disconnected, lan or internet",
  ],
])("%j → %s", (report, problem) => {
  expect(routeReportProblem(report)).toBe(problem);
});
