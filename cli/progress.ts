// Progress of long commands: a bar on a terminal (after the first second), and otherwise — CI logs — one plain line
// on stderr every 10 s, so a ten-minute campaign is not silent. --json keeps stdout one document either way.
export interface ProgressReporter {
  /** Call after each unit of work with the elapsed wall time. */
  tick(elapsedMs: number): void;
  stop(): void;
}

export const PROGRESS_LINE_MS = 10_000;

export function progressReporter(o: { json: boolean; startBar: (elapsedMs: number) => void; line: (elapsedMs: number) => string; isTTY?: boolean; write?: (t: string) => void; everyMs?: number }): ProgressReporter {
  const tty = o.isTTY ?? process.stderr.isTTY === true;
  const write = o.write ?? ((t: string) => process.stderr.write(t));
  const every = o.everyMs ?? PROGRESS_LINE_MS;
  let barStarted = false;
  let nextLineMs = every;
  return {
    tick(elapsedMs) {
      if (tty) {
        if (!o.json && !barStarted && elapsedMs > 1000) {
          barStarted = true;
          o.startBar(elapsedMs);
        }
        return;
      }
      if (elapsedMs >= nextLineMs) {
        write(o.line(elapsedMs) + "\n");
        while (nextLineMs <= elapsedMs) nextLineMs += every;
      }
    },
    stop() {},
  };
}
