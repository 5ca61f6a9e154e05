// Record batch attributes and control records (clients/.../common/record/DefaultRecordBatch.java,
// ControlRecordType.java, EndTransactionMarker.java), shared by brokers and clients. A log keeps one attributes
// byte per record (its batch's): transactional data, and the COMMIT / ABORT markers of transactions (control
// records). A control record's key is its ControlRecordType; kafkasim keeps the marker's coordinator epoch in its
// value as -1 - coordinatorEpoch, so that no control record's value can be mistaken for a sent one (sent values
// are ≥ 0).

/** DefaultRecordBatch.TRANSACTIONAL_FLAG_MASK (bit 4). */
export const ATTR_TRANSACTIONAL = 0x10;
/** DefaultRecordBatch.CONTROL_FLAG_MASK (bit 5). */
export const ATTR_CONTROL = 0x20;

/** ControlRecordType: the key of a control record. */
export const CONTROL_ABORT = 0;
export const CONTROL_COMMIT = 1;

/** The value column of a marker written by a coordinator at `coordinatorEpoch`. */
export function markerValue(coordinatorEpoch: number): number {
  return -1 - coordinatorEpoch;
}

/** The coordinator epoch of a marker, from its value. */
export function markerCoordinatorEpoch(value: number): number {
  return -1 - value;
}

export function isControl(attributes: number): boolean {
  return (attributes & ATTR_CONTROL) !== 0;
}

export function isTransactional(attributes: number): boolean {
  return (attributes & ATTR_TRANSACTIONAL) !== 0;
}
