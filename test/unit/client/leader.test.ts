import { describe, expect, it } from "vitest";
import { heartbeatLeader, type Leader, webLocksLeader } from "../../../src/client/leader.js";
import { FakeClock, FakeLockManager, FakeStorageArea, settle } from "./fakes.js";

const leaders = (list: Leader[]) => list.filter((leader) => leader.isLeader).length;

describe("webLocksLeader", () => {
  it("elects exactly one tab and hands over when it closes", async () => {
    const locks = new FakeLockManager();
    const tabs = [webLocksLeader("l", locks), webLocksLeader("l", locks), webLocksLeader("l", locks)];
    const changes: boolean[] = [];
    tabs[1]?.onChange((isLeader) => changes.push(isLeader));
    await settle();
    expect(tabs.map((tab) => tab.isLeader)).toEqual([true, false, false]);
    tabs[0]?.close();
    await settle();
    expect(tabs.map((tab) => tab.isLeader)).toEqual([false, true, false]);
    expect(changes).toEqual([true]);
    // A waiting tab that closes leaves the queue and never leads.
    tabs[2]?.close();
    tabs[1]?.close();
    await settle();
    expect(leaders(tabs)).toBe(0);
    expect(locks.isHeld("l")).toBe(false);
  });
});

describe("heartbeatLeader", () => {
  function tabs(count: number) {
    const clock = new FakeClock();
    const area = new FakeStorageArea();
    const list = Array.from({ length: count }, (_, i) => {
      const { storage, target } = area.tab();
      const scope = clock.scope();
      const leader = heartbeatLeader("hb", { storage, target, clock: scope, tabId: `t${i}` });
      return { leader, target, scope };
    });
    return { clock, area, list };
  }

  it("settles on one leader", async () => {
    const { clock, list } = tabs(3);
    await clock.advance(600);
    expect(leaders(list.map((tab) => tab.leader))).toBe(1);
    await clock.advance(5000);
    expect(leaders(list.map((tab) => tab.leader))).toBe(1);
    for (const tab of list) tab.leader.close();
  });

  it("hands over within a second when the leader tab closes", async () => {
    const { clock, list } = tabs(3);
    await clock.advance(600);
    const first = list.find((tab) => tab.leader.isLeader);
    first?.target.dispatchEvent(new Event("pagehide"));
    first?.leader.close();
    await clock.advance(1000);
    const rest = list.filter((tab) => tab !== first).map((tab) => tab.leader);
    expect(leaders(rest)).toBe(1);
    for (const tab of list) tab.leader.close();
  });

  it("replaces a crashed leader once its claim expires", async () => {
    const { clock, list } = tabs(2);
    await clock.advance(600);
    const crashed = list.find((tab) => tab.leader.isLeader);
    crashed?.scope.kill();
    const other = list.find((tab) => tab !== crashed);
    await clock.advance(1600);
    expect(other?.leader.isLeader).toBe(true);
    for (const tab of list) tab.leader.close();
  });

  it("removes its claim on close and keeps no user data in storage", async () => {
    const { clock, area, list } = tabs(1);
    await clock.advance(600);
    expect(list[0]?.leader.isLeader).toBe(true);
    list[0]?.leader.close();
    expect(area.size).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
