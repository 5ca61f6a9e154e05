// The zod building blocks of the scenario schema: each one words its own errors ("expected a time in
// milliseconds, got ...", "did you mean ..."), so every schema built from them reports problems the same way.
import { z } from "zod";
import { notAllowed, show, unknownKeyMessage } from "./issues.ts";

/** A strict object whose unknown keys get a "did you mean" (and the allowed keys). */
export function strict<T extends z.ZodRawShape>(shape: T, what?: string, advertised?: readonly string[]): z.ZodObject<T, z.core.$strict> {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === "unrecognized_keys") return unknownKeyMessage(String(iss.keys[0]), allowed, advertised ?? allowed);
      if (iss.code === "invalid_type") return `expected ${what ?? "an object"}, got ${show(iss.input)}`;
      return undefined;
    },
  });
}

export const num = (what: string, min?: number, opts: { int?: boolean; max?: number; exclusiveMin?: boolean } = {}): z.ZodNumber => {
  let s = z.number({ error: (iss) => `expected ${what}, got ${show(iss.input)}` });
  if (opts.int) s = s.int({ error: (iss) => `expected a whole number, got ${show(iss.input)}` });
  if (min !== undefined) {
    s = opts.exclusiveMin
      ? s.gt(min, { error: (iss) => `must be > ${min}, got ${show(iss.input)}` })
      : s.min(min, { error: (iss) => `must be ≥ ${min}, got ${show(iss.input)}` });
  }
  if (opts.max !== undefined) s = s.max(opts.max, { error: (iss) => `must be ≤ ${opts.max}, got ${show(iss.input)}` });
  return s;
};
export const int = (min?: number, max?: number): z.ZodNumber => num("a whole number", min, max !== undefined ? { int: true, max } : { int: true });
export const ms = (min = 0): z.ZodNumber => num("a time in milliseconds", min);
export const str = (what = "a string"): z.ZodString =>
  z.string({ error: (iss) => `expected ${what}, got ${show(iss.input)}` }).min(1, { error: `expected ${what}, got an empty string` });
export const bool = (): z.ZodBoolean => z.boolean({ error: (iss) => `expected true or false, got ${show(iss.input)}` });
export function oneOf<const T extends readonly [string, ...string[]]>(values: T): z.ZodEnum<{ [K in T[number]]: K }> {
  return z.enum(values, {
    error: (iss) => notAllowed(iss.input, values),
  });
}
export function listOf<T extends z.ZodType>(item: T, what: string): z.ZodArray<T> {
  return z.array(item, { error: (iss) => `expected a list of ${what}, got ${show(iss.input)}` });
}

export const fn = <T>(what: string): z.ZodType<T> => z.custom<T>((v) => typeof v === "function", { error: `expected a function (${what})` });
