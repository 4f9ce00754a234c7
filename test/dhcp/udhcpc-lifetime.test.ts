import { describe, expect, it } from "vitest";
import { udhcpcAddressLifetime } from "../../src/dhcp/udhcpc.js";

describe("a lease address's lifetime in the kernel", () => {
  it("is the lease's time", () => {
    expect(udhcpcAddressLifetime(600)).toBe(600);
    expect(udhcpcAddressLifetime(0xffff_ffff)).toBe(0xffff_ffff);
  });

  it("is as long as udhcpc holds a lease, which is at least 30 s", () => {
    // udhcpc renews a 10 s lease after 15 s: the address must still be there.
    expect(udhcpcAddressLifetime(10)).toBe(30);
    expect(udhcpcAddressLifetime(30)).toBe(30);
  });

  it("is udhcpc's hour for a lease without a lease time", () => {
    expect(udhcpcAddressLifetime(undefined)).toBe(3_600);
  });
});
