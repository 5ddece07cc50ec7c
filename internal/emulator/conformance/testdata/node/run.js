'use strict';
// Entry point: node run.js <step> <input file>. Prints one JSON line,
// {"result": {...}} or {"error": {...}}, and exits 1 on error. The Go test
// (node_test.go beside testdata/) sets the endpoints and the root AccessKey
// in VOD_ENDPOINT, VOD_ACCESS_KEY_ID and VOD_ACCESS_KEY_SECRET.

const { failure } = require('./lib');

const steps = { ...require('./steps_vod'), ...require('./steps_object'), ...require('./steps_multipart') };

async function main(argv) {
  const [name, input] = argv;
  const step = steps[name];
  if (!step || !input) {
    throw new Error(`usage: node run.js <step> <input file>; steps: ${Object.keys(steps).join(', ')}`);
  }
  return step(input);
}

main(process.argv.slice(2)).then(
  result => {
    process.stdout.write(JSON.stringify({ result }) + '\n');
  },
  err => {
    process.stdout.write(JSON.stringify({ error: { ...failure(err), stack: err && err.stack } }) + '\n');
    process.exitCode = 1;
  }
);
