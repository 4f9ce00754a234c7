import { describe, expect, it } from "vitest";
import { parseSupplicantLine, portOpenAfter } from "../../src/ieee8021x/supplicant-events.js";

describe("wpa_supplicant's output", () => {
  it.each([
    ["eth0: CTRL-EVENT-EAP-STARTED EAP authentication started", "authenticating"],
    ["eth0: CTRL-EVENT-EAP-SUCCESS EAP authentication completed successfully", "authorized"],
    [
      "eth0: CTRL-EVENT-CONNECTED - Connection to 01:80:c2:00:00:03 completed [id=0 id_str=]",
      "authorized",
    ],
    ["eth0: CTRL-EVENT-EAP-FAILURE EAP authentication failed", "failed"],
    [
      "eth0: CTRL-EVENT-EAP-TLS-CERT-ERROR reason=1 depth=0 subject='/CN=a' err='Domain suffix mismatch'",
      "failed",
    ],
    ["eth0: CTRL-EVENT-DISCONNECTED bssid=01:80:c2:00:00:03 reason=3", "starting"],
  ])("%s → %s", (line, state) => {
    expect(parseSupplicantLine("eth0", line)?.state).toBe(state);
  });

  it("keeps the event's text for the log", () => {
    expect(
      parseSupplicantLine("eth0", "eth0: CTRL-EVENT-EAP-FAILURE EAP authentication failed"),
    ).toEqual({ state: "failed", detail: "EAP-FAILURE EAP authentication failed" });
  });

  it("ignores other interfaces, other events and plain messages", () => {
    expect(parseSupplicantLine("eth0", "eth1: CTRL-EVENT-EAP-SUCCESS done")).toBeUndefined();
    expect(
      parseSupplicantLine(
        "eth0",
        "eth0: CTRL-EVENT-EAP-METHOD EAP vendor 0 method 4 (MD5) selected",
      ),
    ).toBeUndefined();
    expect(parseSupplicantLine("eth0", "Successfully initialized wpa_supplicant")).toBeUndefined();
    expect(parseSupplicantLine("eth0", "eth0: Associated with 01:80:c2:00:00:03")).toBeUndefined();
  });
});

describe("the port", () => {
  it("opens with authorization, stays open through a reauthentication, closes otherwise", () => {
    expect(portOpenAfter("authorized", false)).toBe(true);
    expect(portOpenAfter("authenticating", true)).toBe(true);
    expect(portOpenAfter("authenticating", false)).toBe(false);
    expect(portOpenAfter("failed", true)).toBe(false);
    expect(portOpenAfter("starting", true)).toBe(false);
  });
});
