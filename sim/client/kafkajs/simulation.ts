// The simulation as user code sees it: a cluster from a scenario (or its TypeScript form), kafkajs clients on it
// (`sim.kafka()`), virtual time (`sim.sleep`), stand-ins for downstream calls (`sim.database`), and `sim.run(main)`,
// which runs `main` at virtual time 0 and the cluster through the scenario's workload and heal-and-drain phases,
// and resolves to the run's result — judged by the same checkers and oracle as any run.
//
//   const sim = createSimulation({ seed: 7, topics: [{ name: "orders", partitions: 3 }], faults: [...] });
//   const kafka = sim.kafka({ clientId: "shop" });
//   const producer = kafka.producer({ idempotent: true });
//   const consumer = kafka.consumer({ groupId: "billing" });
//   const db = sim.database("billing");
//   const result = await sim.run(async () => {
//     await consumer.connect();
//     await consumer.subscribe({ topic: "orders", fromBeginning: true });
//     await consumer.run({ eachMessage: async ({ message }) => db.write(message.key!.toString(), message.value) });
//     await producer.connect();
//     for (let i = 0; i < 100; i++) { await producer.send({ topic: "orders", messages: [{ key: `k${i % 10}`, value: `${i}` }] }); await sim.sleep(10); }
//   });
import type { ConsumerSpec, ProducerSpec, Scenario } from "../../scenario/types.ts";
import { buildScenario } from "../../scenario/defaults.ts";
import type { ScenarioInput } from "../../scenario/defaults.ts";
import type { RunOptions, RunResult } from "../../result.ts";
import type { ClientEnv } from "../env.ts";
import { runScenarioAsync } from "./driver.ts";
import { isThenable } from "./host.ts";
import { KafkaJSLink } from "./link.ts";
import { Kafka } from "./kafka.ts";
import type { ClientRegistry, KafkaConfig } from "./kafka.ts";
import type { GroupBinding } from "./consumer.ts";
import type { KafkaJSProducer } from "./producer.ts";
import { SimDatabase } from "./database.ts";
import type { DatabaseOptions } from "./database.ts";
import { KafkaJSNonRetriableError } from "./errors.ts";

export interface SimulationRunOptions extends RunOptions {
  /** Virtual time 0 as wall-clock ms: what Date.now() says in user code at the start (default 2024-01-01). */
  readonly epochMs?: number;
}

export class Simulation {
  /** The scenario the run uses: the given one, with the kafkajs clients' processes added. */
  readonly scenario: Scenario;
  private readonly producers: ProducerSpec[];
  private readonly consumers: ConsumerSpec[];
  private readonly link = new KafkaJSLink();
  private readonly groups = new Map<string, GroupBinding>();
  private readonly producerApis: KafkaJSProducer[] = [];
  private env: ClientEnv | null = null;
  private started = false;

  constructor(input: Scenario | ScenarioInput = {}) {
    const base = buildScenario(input as ScenarioInput);
    this.producers = [...base.producers];
    this.consumers = [...base.consumers];
    this.scenario = { ...base, producers: this.producers, consumers: this.consumers };
    for (const t of this.scenario.topics) this.link.topics.set(t.name, t.partitions);
  }

  private registry(): ClientRegistry {
    return {
      link: this.link,
      firstTopic: this.scenario.topics[0]?.name ?? "orders",
      addProducer: (spec, api) => {
        this.notStarted("kafka.producer()");
        this.producers.push(spec);
        this.producerApis.push(api);
      },
      addGroup: (spec) => {
        this.notStarted("kafka.consumer()");
        this.consumers.push(spec);
      },
    };
  }

  private notStarted(what: string): void {
    if (this.started) throw new KafkaJSNonRetriableError(`kafkasim: ${what} must be called before sim.run(): every client process of the simulation exists from the start`);
  }

  /** A kafkajs client on the simulated cluster (`new Kafka(config)`). */
  kafka(config: KafkaConfig = {}): Kafka {
    return new Kafka(this.registry(), this.groups, config);
  }

  /** Resolves after `ms` of virtual time (on the clock of the code that calls it). */
  sleep(ms: number): Promise<void> {
    const host = this.link.host;
    const owner = host.current;
    const us = Math.max(0, Math.round(ms * 1000));
    return new Promise<void>((resolve) => {
      owner.after(us, () => host.run(owner, resolve));
    });
  }

  /** Virtual time since the start of the run, in ms. */
  now(): number {
    return this.link.nowMs();
  }

  /** A database stand-in for consumer group `group`: its calls take `latencyMs` and fail while a `downstream-down`
   *  fault on that group lasts. */
  database(group: string, opts: DatabaseOptions = {}): SimDatabase {
    return new SimDatabase(this.link, () => this.env, group, opts);
  }

  /** Run the simulation: `main` starts at virtual time 0 (after the processes booted); the run lasts the
   *  scenario's durationMs + drainMs. Rejects with main's error if main throws. */
  run(main?: () => unknown, opts: SimulationRunOptions = {}): Promise<RunResult> {
    if (this.started) return Promise.reject(new KafkaJSNonRetriableError("kafkasim: a simulation runs once; create another for another run"));
    this.started = true;
    const groupsWithoutMembers = this.scenario.consumers.filter((c) => c.members === 0);
    if (groupsWithoutMembers.length > 0) return Promise.reject(new KafkaJSNonRetriableError(`kafkasim: group ${groupsWithoutMembers[0]?.group} has no member`));
    const producers = new Map(this.producerApis.map((p) => [p.id, p]));
    return runScenarioAsync(this.scenario, {
      ...opts,
      onHost: (host, env) => {
        this.link.host = host;
        this.env = env;
        // A kafkajs producer's process that dies fails the sends it had in flight.
        host.rt.trace.onEmit((_t, ev) => {
          if (ev.type !== "node-kill" && ev.type !== "node-power-loss" && ev.type !== "node-stop") return;
          producers.get(ev.node)?.processDied();
        });
        if (main === undefined) return;
        host.rt.call(0, () =>
          host.run(host.world, () => {
            let out: unknown;
            try {
              out = main();
            } catch (e) {
              host.fail(e);
              return;
            }
            if (isThenable(out)) out.then(undefined, (e: unknown) => host.fail(e));
          }),
        );
      },
    });
  }
}

/** A simulation to run kafkajs-shaped user code against (see Simulation). */
export function createSimulation(input: Scenario | ScenarioInput = {}): Simulation {
  return new Simulation(input);
}
