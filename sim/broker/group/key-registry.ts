// Interned names ↔ numbers for the keys of __consumer_offsets records (records are numeric here).
import { Interner } from "../../core/interner.ts";

/** Interned names ↔ numbers, world-wide and deterministic (keys of __consumer_offsets records). */
export class KeyRegistry extends Interner {}
