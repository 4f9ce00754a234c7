import { z } from "zod";
import { interfaceName } from "../config/fields.js";
import { VIRTUAL_HW_PATH } from "./rename-plan.js";

/**
 * The `ifnames` key of the configuration file: `[{ hwPath, ifname }]`, as
 * VintageNet's. Each hardware path and each name at most once, or which rule
 * wins would depend on the order links appear.
 */

const hwPath = z
  .string()
  .startsWith(
    "/devices/",
    "must be a sysfs device path (/devices/…), as interface/<if>/hw_path shows",
  )
  .refine((path) => path !== VIRTUAL_HW_PATH, {
    message: `${VIRTUAL_HW_PATH} is where every virtual interface sits; virtual interfaces are never renamed`,
  })
  .refine(
    (path) => !path.endsWith("/") && !path.split("/").some((part) => part === "." || part === ".."),
    {
      message: "must be a plain path, as interface/<if>/hw_path shows (no trailing /, no . or ..)",
    },
  );

const rule = z.strictObject({ hwPath, ifname: interfaceName });

export const ifnamesSchema = z
  .array(rule)
  .check((context) => {
    for (const field of ["hwPath", "ifname"] as const) {
      const seen = new Set<string>();
      context.value.forEach((entry, index) => {
        if (seen.has(entry[field])) {
          context.issues.push({
            code: "custom",
            input: entry[field],
            path: [index, field],
            message: `${JSON.stringify(entry[field])} is in an earlier rule already`,
          });
        }
        seen.add(entry[field]);
      });
    }
  })
  .default([]);
