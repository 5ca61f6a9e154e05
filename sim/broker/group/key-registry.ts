// Interned names ↔ numbers for the keys of __consumer_offsets records (records are numeric here).

/** Interned names ↔ numbers, world-wide and deterministic (keys of __consumer_offsets records). */
export class KeyRegistry {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  intern(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.ids.set(name, id);
    }
    return id;
  }
  name(id: number): string | undefined {
    return this.names[id];
  }
}
