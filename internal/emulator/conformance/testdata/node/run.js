'use strict';
// Entry point: node run.js <plan.json>. The plan (written by
// node_test.go) is a list of {name, step, input, ttlMs, vod: {endpoint,
// accessKeyId, accessKeySecret}}, each entry with its own emulator. All
// entries run at once; each prints one JSON line as it ends,
// {"name", "result"} or {"name", "error"}, and the exit code is 1 if any
// failed. One process for all steps: loading the clients costs more CPU
// than most steps.

const fs = require('node:fs');
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

async function main(argv) {
  if (argv.length !== 1) throw new Error('usage: node run.js <plan.json>');
  const plan = JSON.parse(fs.readFileSync(argv[0], 'utf8'));
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

main(process.argv.slice(2)).catch(err => {
  process.stderr.write(`${err && err.stack}\n`);
  process.exitCode = 2;
});
