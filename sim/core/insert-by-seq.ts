// Insertion into an array kept in ascending `seq` order (stable: after the items of an equal seq). For short lists
// that are nearly in order already — a partition's parked fetches, a fetch session's active entries.

/** Insert `x` into `arr`, which is in ascending `seq` order, keeping it so. */
export function insertBySeq<T extends { readonly seq: number }>(arr: T[], x: T): void {
  let i = arr.length;
  arr.push(x);
  while (i > 0 && (arr[i - 1] as T).seq > x.seq) {
    arr[i] = arr[i - 1] as T;
    i--;
  }
  arr[i] = x;
}
