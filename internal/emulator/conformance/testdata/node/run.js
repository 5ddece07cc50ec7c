'use strict';
// Entry point: node run.js, with the plan in CONFORMANCE_PLAN (JSON, set by
// node_test.go): a list of {name, step, input, ttlMs, vod: {endpoint,
// accessKeyId, accessKeySecret}}, each entry with its own emulator. All
// entries run at once; each prints one JSON line as it ends,
// {"name", "result"} or {"name", "error"}, and the exit code is 1 if any
// failed. One process for all steps: loading the clients costs more CPU
// than most steps.

const { vodCaller, failure } = require('./lib');

const steps = {
  ...require('./steps_vod'),
  ...require('./steps_object'),
  ...require('./steps_multipart'),
  ...require('./steps_browser'),
};

async function runEntry(entry) {
  const step = steps[entry.step];
  if (!step) throw new Error(`unknown step ${entry.step}; steps: ${Object.keys(steps).join(', ')}`);
  return step({ vod: vodCaller(entry.vod), input: entry.input, ttlMs: entry.ttlMs });
}

async function main() {
  if (!process.env.CONFORMANCE_PLAN) throw new Error('CONFORMANCE_PLAN is not set; run the suite with go test');
  const plan = JSON.parse(process.env.CONFORMANCE_PLAN);
  let failed = false;
  await Promise.all(
    plan.map(entry =>
      runEntry(entry).then(
        result => process.stdout.write(JSON.stringify({ name: entry.name, result }) + '\n'),
        err => {
          failed = true;
          process.stdout.write(JSON.stringify({ name: entry.name, error: { ...failure(err), stack: err && err.stack } }) + '\n');
        }
      )
    )
  );
  if (failed) process.exitCode = 1;
}

main().catch(err => {
  process.stderr.write(`${err && err.stack}\n`);
  process.exitCode = 2;
});
