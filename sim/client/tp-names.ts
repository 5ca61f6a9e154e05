// "topic-partition" names made once per partition: the clients' per-record paths key their queues by them without
// building a string per record.
export class TpNames {
  private readonly byTopic = new Map<string, string[]>();

  of(topic: string, partition: number): string {
    let names = this.byTopic.get(topic);
    if (names === undefined) this.byTopic.set(topic, (names = []));
    return (names[partition] ??= `${topic}-${partition}`);
  }
}
