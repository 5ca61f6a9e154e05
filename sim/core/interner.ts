// Interned names ↔ small integers, in first-seen order (deterministic): for columns that store names as numbers.

export class Interner {
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
