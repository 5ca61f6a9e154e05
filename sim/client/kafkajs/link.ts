// What the kafkajs API objects of one simulation share: the user messages' bytes, the topics, and — once the run
// has started — the async bridge that resolves their promises in virtual time.
import type { AsyncHost, Owner } from "./host.ts";
import { MessageStore } from "./messages.ts";
import { KafkaJSNonRetriableError } from "./errors.ts";

export class KafkaJSLink {
  readonly store = new MessageStore();
  /** Partition counts of the scenario's topics. */
  readonly topics = new Map<string, number>();
  private hostRef: AsyncHost | null = null;

  /** The bridge of the running simulation (set when the run starts). */
  get host(): AsyncHost {
    if (this.hostRef === null || this.hostRef.ended) throw new KafkaJSNonRetriableError(this.hostRef === null ? "kafkasim: the simulation is not running yet: call the client's methods from code that `await sim.run(main)` runs (main, a handler, a timer)" : "kafkasim: the simulation has ended (user code went on after the run: did it await a real timer or I/O?)");
    return this.hostRef;
  }

  set host(h: AsyncHost) {
    this.hostRef = h;
  }

  /** The owner of the user code running now (its promises resolve for it). */
  current(): Owner {
    return this.host.current;
  }

  /** Virtual now in ms since the start of the run. */
  nowMs(): number {
    return this.host.nowUs / 1000;
  }

  /** What Date.now() says in user code now. */
  wallMs(): number {
    const h = this.host;
    return h.epochMs + Math.floor(h.nowUs / 1000);
  }
}
