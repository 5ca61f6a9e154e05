// The znodes kafkasim's brokers and controller use, and the data they hold: the ZooKeeper layout of Kafka's
// ZooKeeper era (KafkaZkClient / ZkData.scala). Data is kept as plain objects rather than JSON text; readers
// must treat it as immutable (the store keeps the reference).

export const BROKERS_PATH = "/brokers";
export const BROKER_IDS_PATH = "/brokers/ids";
export const TOPICS_PATH = "/brokers/topics";
export const CONTROLLER_PATH = "/controller";
export const CONTROLLER_EPOCH_PATH = "/controller_epoch";
/** Before 2.7 a leader that changed an ISR in ZooKeeper tells the controller with a sequential child here
 *  (IsrChangeNotificationZNode, IsrChangeNotificationSequenceZNode: "isr_change_0000000042"). */
export const ISR_CHANGE_NOTIFICATION_PATH = "/isr_change_notification";
export const ISR_CHANGE_PREFIX = `${ISR_CHANGE_NOTIFICATION_PATH}/isr_change_`;

/** Ephemeral registration of a live broker; its creation zxid is the broker epoch (fact 25). */
export const brokerIdPath = (id: number): string => `${BROKER_IDS_PATH}/${id}`;
export const topicPath = (topic: string): string => `${TOPICS_PATH}/${topic}`;
export const topicPartitionsPath = (topic: string): string => `${TOPICS_PATH}/${topic}/partitions`;
export const partitionPath = (topic: string, partition: number): string => `${TOPICS_PATH}/${topic}/partitions/${partition}`;
/** The partition's leader, leader epoch and ISR; its data version is the partition epoch (zkVersion). */
export const partitionStatePath = (topic: string, partition: number): string => `${TOPICS_PATH}/${topic}/partitions/${partition}/state`;

/** /brokers/ids/<id> (BrokerIdZNode). */
export interface BrokerRegistrationData {
  readonly brokerId: number;
}

/** /controller (ControllerZNode: {"version":1,"brokerid":1,"timestamp":...}); the epoch is added for readers. */
export interface ControllerData {
  readonly brokerid: number;
  readonly epoch: number;
}

/** /controller_epoch holds the controller epoch as a number (ControllerEpochZNode). */
export type ControllerEpochData = number;

/** /brokers/topics/<topic> (TopicZNode): the replica assignment, index = partition id. */
export interface TopicAssignmentData {
  readonly partitions: readonly (readonly number[])[];
}

/** /isr_change_notification/isr_change_<seq>: the partitions whose ISR a leader changed. */
export interface IsrChangeNotificationData {
  readonly partitions: readonly { readonly topic: string; readonly partition: number }[];
}

/** /brokers/topics/<t>/partitions/<p>/state (TopicPartitionStateZNode); leader -1 = no leader. */
export interface PartitionStateData {
  readonly leader: number;
  readonly leader_epoch: number;
  readonly isr: readonly number[];
  readonly controller_epoch: number;
}

export function parentPath(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
