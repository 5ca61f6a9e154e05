// A word of a repro command line, quoted for a POSIX shell when it needs to be (the CLI and the campaign's saved
// files print the same repro lines).
export function shellWord(s: string): string {
  return /^[\w./:=@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
