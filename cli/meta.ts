// What a seed replays with: a campaign result records the kafkasim version, the Node version and a hash of the
// lock file (the dependencies: fast-check draws, seedrandom), since a seed alone does not replay across versions.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./io.ts";

export interface CampaignMeta {
  readonly kafkasimVersion: string;
  readonly node: string;
  /** sha256 of package-lock.json, first 16 hex digits; null when the install has none. */
  readonly lockHash: string | null;
}

let cached: CampaignMeta | undefined;

export function campaignMeta(): CampaignMeta {
  if (cached) return cached;
  const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
  let lockHash: string | null = null;
  try {
    lockHash = createHash("sha256").update(readFileSync(join(ROOT, "package-lock.json"))).digest("hex").slice(0, 16);
  } catch {
    lockHash = null;
  }
  cached = { kafkasimVersion: version, node: process.version, lockHash };
  return cached;
}
