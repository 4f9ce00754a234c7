import { z } from "zod";
import { dnsRecordSchema } from "./schema.js";

/**
 * The DNS server program's config file (JSON), written by the manager at
 * every start: what to listen on and what to answer. Checked again by the
 * program, which trusts no file.
 */
export const dnsdFileSchema = z.strictObject({
  address: z.ipv4(),
  port: z.number().int().min(0).max(65535),
  ttlSeconds: z.number().int().min(0).max(604_800),
  records: z.array(dnsRecordSchema),
});

export type DnsdFile = z.infer<typeof dnsdFileSchema>;
