/**
 * AMBIT_BENCH_PUSH_PROFILE=DIR: the bench's children record a V8 CPU profile of the initial push
 * alone (not of start-up, the apply or the change loop) into DIR, to read with
 * `npx tsx bench/l4/profile-summary.ts DIR/*.cpuprofile`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";

const dir = process.env.AMBIT_BENCH_PUSH_PROFILE;
let session: Session | undefined;

export async function startPushProfile(): Promise<void> {
  if (!dir || session) return;
  session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 500 });
  await session.post("Profiler.start");
}

export async function stopPushProfile(name: string): Promise<void> {
  if (!dir || !session) return;
  const { profile } = await session.post("Profiler.stop");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(profile));
  session.disconnect();
  session = undefined;
}
