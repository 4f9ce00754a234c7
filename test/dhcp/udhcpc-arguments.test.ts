import { describe, expect, it } from "vitest";
import { requestedVariables, UdhcpcOptionError, udhcpcArguments } from "../../src/dhcp/udhcpc.js";
import { dhcpOptionCode, udhcpcVariableOf } from "../../src/dhcp/udhcpc-options.js";

const BASE = { ifname: "eth0", handlerPath: "/run/statenet/dhcp/udhcpc-handler" };

/** The option codes after each `-O`. */
function requested(args: readonly string[]): string[] {
  return args.flatMap((arg, index) => (arg === "-O" ? [args[index + 1] ?? ""] : []));
}

function refusal(options: Parameters<typeof udhcpcArguments>[0]): UdhcpcOptionError {
  try {
    udhcpcArguments(options);
  } catch (error) {
    expect(error).toBeInstanceOf(UdhcpcOptionError);
    return error as UdhcpcOptionError;
  }
  throw new Error("accepted");
}

describe("udhcpc's command line", () => {
  it("asks for the search list, NTP servers and MTU by their numbers", () => {
    expect(requested(udhcpcArguments(BASE))).toEqual(["119", "42", "26"]);
  });

  it("asks for the options the config names as well, each once (udhcpc -O)", () => {
    const args = udhcpcArguments({ ...BASE, requestOptions: ["wpad", 224, "mtu", 252, 1] });
    expect(requested(args)).toEqual(["119", "42", "26", "252", "224", "1"]);
  });

  it("sends the host name (udhcpc -x hostname:)", () => {
    const args = udhcpcArguments({ ...BASE, hostname: "kiosk_7.lab" });
    expect(args.slice(args.indexOf("-x"), args.indexOf("-x") + 2)).toEqual([
      "-x",
      "hostname:kiosk_7.lab",
    ]);
    expect(udhcpcArguments(BASE)).not.toContain("-x");
  });

  it.each(["-kiosk", "kiosk 7", "kiosk,7", "kiosk:7", "a".repeat(64), ""])(
    "refuses host name %j, naming the field",
    (hostname) => {
      expect(refusal({ ...BASE, hostname }).field).toBe("hostname");
    },
  );

  it.each([["bogus"], [0], [255], [1.5], ["224"]])(
    "refuses option %j, on which udhcpc would exit, naming the field",
    (option) => {
      const error = refusal({ ...BASE, requestOptions: [option as never] });
      expect(error.field).toBe("requestOptions");
      expect(error.message).toContain(JSON.stringify(option));
    },
  );
});

describe("udhcpc's names for options", () => {
  it("maps names and numbers to codes", () => {
    expect(dhcpOptionCode("wpad")).toBe(252);
    expect(dhcpOptionCode("search")).toBe(119);
    expect(dhcpOptionCode(224)).toBe(224);
    expect(dhcpOptionCode("toString")).toBeUndefined();
    expect(dhcpOptionCode("__proto__")).toBeUndefined();
  });

  it("names the script variable of an option: udhcpc's name, or opt<code>", () => {
    expect(udhcpcVariableOf(252)).toBe("wpad");
    expect(udhcpcVariableOf(42)).toBe("ntpsrv");
    expect(udhcpcVariableOf(58)).toBe("opt58");
    expect(requestedVariables(["wpad", 224, "tftp"])).toEqual([
      "search",
      "ntpsrv",
      "mtu",
      "wpad",
      "opt224",
      "tftp",
    ]);
  });
});
