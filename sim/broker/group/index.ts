// The group coordinator module a broker hosts (see host.ts for the seam).
import type { GroupCoordinatorFactory } from "./host.ts";
import { GroupCoordinator } from "./coordinator.ts";

export const groupCoordinatorFactory: GroupCoordinatorFactory = (host) => new GroupCoordinator(host);
export { GroupCoordinator, PID_BLOCK } from "./coordinator.ts";
export { offsetsPartitionFor, javaStringHash, offsetKeyName } from "./partition.ts";
