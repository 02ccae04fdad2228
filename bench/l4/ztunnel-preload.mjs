// Loaded into the L4 bench's node proxies through NODE_OPTIONS (`--import <this file>`), only
// when asked for; it acts in `ambit ztunnel` processes only (other Node processes that inherit
// NODE_OPTIONS, such as pods, are left alone).
//
//   AMBIT_BENCH_L4_V8_FLAGS="--flag ..."  V8 flags set at start-up (v8.setFlagsFromString), to try
//                                         heap/GC settings without changing the proxy's code
//   AMBIT_BENCH_L4_PROFILE=DIR            SIGUSR2 starts the V8 sampling profiler; the next SIGUSR2
//                                         writes DIR/ztunnel-<node>-<pid>-<n>.cpuprofile (Node 20
//                                         refuses --cpu-prof in NODE_OPTIONS, hence this)
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";

const argv = process.argv;
if (argv.includes("ztunnel")) {
  for (const flag of (process.env.AMBIT_BENCH_L4_V8_FLAGS ?? "").split(" ").filter(Boolean))
    setFlagsFromString(flag);
  const dir = process.env.AMBIT_BENCH_L4_PROFILE;
  if (dir) {
    const tag = `ztunnel-${argv[argv.indexOf("--node") + 1]}`;
    let session;
    let n = 0;
    process.on("SIGUSR2", () => {
      if (!session) {
        session = new Session();
        session.connect();
        session.post("Profiler.enable");
        session.post("Profiler.setSamplingInterval", { interval: 200 });
        session.post("Profiler.start");
        return;
      }
      const s = session;
      session = undefined;
      s.post("Profiler.stop", (err, res) => {
        if (!err)
          writeFileSync(join(dir, `${tag}-${process.pid}-${n++}.cpuprofile`), JSON.stringify(res.profile));
        s.disconnect();
      });
    });
  }
}
