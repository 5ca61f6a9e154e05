// Seeds of the property tests: one printed root seed (KAFKASIM_SEED or a fixed default), and a seed per
// property derived from it by name, so that a run is reproducible and properties do not share streams.
export const DEFAULT_ROOT_SEED = 20261125;

export function rootSeed(): number {
  const env = process.env["KAFKASIM_SEED"];
  const n = env === undefined ? DEFAULT_ROOT_SEED : Number(env);
  return Number.isFinite(n) ? n | 0 : DEFAULT_ROOT_SEED;
}

/** FNV-1a over the name, mixed with the root: a 31-bit seed for fast-check. */
export function seedFor(name: string, root = rootSeed()): number {
  let h = 0x811c9dc5 ^ root;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return (h >>> 0) & 0x7fffffff;
}
