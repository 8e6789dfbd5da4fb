// The Node processes of bench/queue.py: BullMQ's producer and worker (the
// same jobs to the same no-op sink, one Queue.add per job), and the same
// producer for Herald (one POST /api/v1/notify per job), so both sides are
// fed by the same kind of client.
//   node queue-bench.js produce <redis port> <jobs> <in flight>
//   node queue-bench.js work <redis port> <sink url> <jobs> <concurrency>
//   node queue-bench.js notify <herald port> <jobs> <in flight>
// Each prints one JSON line when done and exits.
"use strict";
const http = require("http");
const { Queue, Worker } = require("bullmq");

const [mode, port, ...rest] = process.argv.slice(2);
const connection = { host: "127.0.0.1", port: Number(port), maxRetriesPerRequest: null };

async function produce(jobs, inFlight) {
  const queue = new Queue("bench", { connection });
  await queue.waitUntilReady();
  const t0 = process.hrtime.bigint();
  let next = 0;
  async function lane() {
    while (next < jobs) {
      next++;
      await queue.add("notify", { to: "bench", text: "hello", data: { n: 1 } },
        { attempts: 5, backoff: { type: "exponential", delay: 1000 }, removeOnComplete: true, removeOnFail: 10000 });
    }
  }
  await Promise.all(Array.from({ length: inFlight }, lane));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ accepted: jobs, seconds: s }));
  await queue.close();
}

function post(agent, url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent, headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on("end", () => (res.statusCode >= 200 && res.statusCode < 300 ? resolve() : reject(new Error("HTTP " + res.statusCode))));
      });
    req.setTimeout(5000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(body);
  });
}

async function work(sinkUrl, jobs, concurrency) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let done = 0;
  let t0 = null;
  let cpu0 = null;
  const worker = new Worker("bench", async (job) => {
    if (t0 === null) {
      t0 = process.hrtime.bigint();
      cpu0 = process.cpuUsage();
    }
    await post(agent, sinkUrl, JSON.stringify({ job_id: job.id, sink: "noop", to: job.data.to, text: job.data.text,
      data: job.data.data, attempt: job.attemptsMade + 1 }));
  }, { connection, concurrency });
  await new Promise((resolve) => {
    worker.on("completed", () => {
      if (++done === jobs) resolve();
    });
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({ completed: done, seconds: s, cpu_s: (cpu.user + cpu.system) / 1e6 }));
  await worker.close();
  agent.destroy();
}

async function notify(port, jobs, inFlight) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
  const body = JSON.stringify({ sink: "noop", to: "bench", text: "hello", data: { n: 1 } });
  const t0 = process.hrtime.bigint();
  let next = 0;
  let refused = 0;
  async function lane() {
    while (next < jobs) {
      next++;
      await post(agent, `http://127.0.0.1:${port}/api/v1/notify`, body).catch(() => refused++);
    }
  }
  await Promise.all(Array.from({ length: inFlight }, lane));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ accepted: jobs - refused, refused, seconds: s }));
  agent.destroy();
}

(async () => {
  if (mode === "notify") await notify(Number(port), Number(rest[0]), Number(rest[1]));
  else if (mode === "produce") await produce(Number(rest[0]), Number(rest[1]));
  else if (mode === "work") await work(rest[0], Number(rest[1]), Number(rest[2]));
  else throw new Error("mode: produce or work");
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
