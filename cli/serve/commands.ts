// The commands `kafkasim serve` takes on stdin (and on its control port), one a line: a fault fired now, or a
// question. Faults are the scenario file's, in words:
//
//   kill|power|stop|restart|resume|isolate|expire-session <target>     pause <target> [ms]     heal [<target>]
//   slow <target> <factor>     flaky <target> <lossProb>     partition <targets> | <targets> [| ...]
//   status     help     quit
//
// A target is a broker number ("2" or "broker 2"), "leader <topic-partition>", "followers <topic-partition>",
// "controller" or "coordinator" (ZooKeeper); a partition's groups are comma-separated targets.
import type { FaultAction, FaultTarget } from "../../sim/faults/types.ts";

export type ServeCommand =
  | { readonly kind: "fault"; readonly action: FaultAction }
  | { readonly kind: "status" }
  | { readonly kind: "help" }
  | { readonly kind: "quit" }
  | { readonly kind: "none" };

export const COMMAND_HELP = [
  "kill|power|stop|restart|resume|isolate|expire-session <target>   pause <target> [ms]   heal [<target>]",
  "slow <target> <factor>   flaky <target> <lossProb>   partition <targets> | <targets>",
  "status   help   quit      target: 2 | broker 2 | leader orders-0 | followers orders-0 | controller | coordinator",
].join("\n");

export class CommandError extends Error {}

function target(words: readonly string[], what: string): FaultTarget {
  const [a, b, ...rest] = words;
  if (a === undefined) throw new CommandError(`${what}: which node? e.g. "${what} leader orders-0", "${what} 2", "${what} controller"`);
  const tooMany = (n: number): void => {
    if (words.length > n) throw new CommandError(`${what}: unexpected "${words.slice(n).join(" ")}"`);
  };
  if (/^\d+$/.test(a)) {
    tooMany(1);
    return { broker: Number(a) };
  }
  switch (a) {
    case "broker":
      if (b === undefined || !/^\d+$/.test(b)) throw new CommandError(`${what}: "broker" needs a broker number, e.g. "${what} broker 2"`);
      tooMany(2);
      return { broker: Number(b) };
    case "leader":
    case "followers":
      if (b === undefined || !/^.+-\d+$/.test(b)) throw new CommandError(`${what}: "${a}" needs a topic-partition, e.g. "${what} ${a} orders-0"`);
      if (rest.length > 0) throw new CommandError(`${what}: unexpected "${rest.join(" ")}"`);
      return a === "leader" ? { leaderOf: b } : { followersOf: b };
    case "controller":
      tooMany(1);
      return { controller: true };
    case "coordinator":
    case "zk":
    case "zookeeper":
      tooMany(1);
      return { coordinator: true };
    default:
      throw new CommandError(`${what}: unknown target "${a}"; a target is a broker number, "leader <topic-partition>", "followers <topic-partition>", "controller" or "coordinator"`);
  }
}

function number(word: string | undefined, what: string, ok: (n: number) => boolean, range: string): number {
  const n = Number(word);
  if (word === undefined || word.trim() === "" || !Number.isFinite(n) || !ok(n)) throw new CommandError(`${what}: needs ${range}, got ${word === undefined ? "nothing" : `"${word}"`}`);
  return n;
}

/** Parse one line; throws CommandError with what was wrong and what is allowed. */
export function parseCommand(line: string): ServeCommand {
  const words = line.trim().split(/\s+/).filter((w) => w !== "");
  const [verb, ...rest] = words;
  if (verb === undefined) return { kind: "none" };
  switch (verb.toLowerCase()) {
    case "kill":
    case "power":
    case "stop":
    case "restart":
    case "resume":
    case "isolate":
    case "expire-session": {
      const kind = verb.toLowerCase() as "kill" | "power" | "stop" | "restart" | "resume" | "isolate" | "expire-session";
      return { kind: "fault", action: { kind, target: target(rest, kind) } };
    }
    case "pause": {
      const last = rest[rest.length - 1];
      const hasMs = rest.length >= 2 && last !== undefined && /^\d+$/.test(last) && !(rest.length === 2 && rest[0] === "broker");
      const t = target(hasMs ? rest.slice(0, -1) : rest, "pause");
      return { kind: "fault", action: hasMs ? { kind: "pause", target: t, durationMs: Number(last) } : { kind: "pause", target: t } };
    }
    case "heal":
      return { kind: "fault", action: rest.length === 0 || (rest.length === 1 && rest[0] === "all") ? { kind: "heal" } : { kind: "heal", target: target(rest, "heal") } };
    case "slow":
      return { kind: "fault", action: { kind: "slow", target: target(rest.slice(0, -1), "slow"), factor: number(rest[rest.length - 1], "slow", (n) => n > 0, "a factor > 0") } };
    case "flaky":
      return { kind: "fault", action: { kind: "flaky", target: target(rest.slice(0, -1), "flaky"), lossProb: number(rest[rest.length - 1], "flaky", (n) => n >= 0 && n <= 1, "a loss probability in [0, 1]") } };
    case "partition": {
      const groups = rest
        .join(" ")
        .split("|")
        .map((g) => g.split(",").map((t) => t.trim()).filter((t) => t !== ""));
      if (groups.length < 2 || groups.some((g) => g.length === 0)) throw new CommandError('partition: needs two or more groups separated by "|", e.g. "partition 1 | 2,3"');
      return { kind: "fault", action: { kind: "partition", groups: groups.map((g) => g.map((t) => target(t.split(/\s+/), "partition"))) } };
    }
    case "status":
      return { kind: "status" };
    case "help":
    case "?":
      return { kind: "help" };
    case "quit":
    case "exit":
      return { kind: "quit" };
    default:
      throw new CommandError(`unknown command "${verb}"; commands:\n${COMMAND_HELP}`);
  }
}
