import { appendFileSync } from "node:fs";

const record = process.env.STATENET_LOAD_RECORD;

export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (record) appendFileSync(record, `${url}\n`);
  return result;
}
