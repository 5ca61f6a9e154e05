// The acceptStaleEpoch bug switch (checker validation, issue 5): a deposed controller's leader-and-isr (older
// controller epoch, lower leader epoch) is applied instead of being rejected (ReplicaManager.becomeLeaderOrFollower
// and the controller-epoch check; fact 26).
import { describe, it, expect } from "vitest";
import { Kit } from "../testkit.ts";

function deposedControllerElects(bug: boolean): Kit {
  const k = new Kit(bug ? { bugs: { acceptStaleEpoch: true } } : {}).start();
  k.ctl.controllerEpoch = 1;
  k.ctl.elect("t-0", 1); // leader 1 at leader epoch 0, controller epoch 1
  k.run(5);
  k.ctl.elect("t-0", 1); // leader epoch 1
  k.run(5);
  // The deposed controller (epoch 0) sends its stale view: leader 2 at leader epoch 0.
  k.ctl.controllerEpoch = 0;
  const st = k.ctl.parts.get("t-0");
  if (st) st.leaderEpoch = -1;
  k.ctl.elect("t-0", 2);
  k.run(5);
  return k;
}

describe("acceptStaleEpoch bug switch", () => {
  it("off: a deposed controller's leader-and-isr is rejected (controller epoch)", () => {
    const k = deposedControllerElects(false);
    expect(k.part(1).isLeader).toBe(true);
    expect(k.part(2).isLeader).toBe(false);
    expect(k.events("stale-request-rejected").some((e) => e.request === "leader-and-isr" && e.reason.startsWith("controller epoch"))).toBe(true);
  });

  it("on: a deposed controller's leader-and-isr with a lower leader epoch is applied", () => {
    const k = deposedControllerElects(true);
    expect(k.part(2).isLeader).toBe(true);
    expect(k.part(2).leaderEpoch).toBe(0);
    expect(k.events("stale-request-rejected").some((e) => e.request === "leader-and-isr" && e.reason.startsWith("controller epoch"))).toBe(false);
  });
});
