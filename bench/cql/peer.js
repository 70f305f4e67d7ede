// The CQL peer of bench/cqlpeer.py: one hand-written ELM rule («an M-component (SPEP)
// Observation within 180 days») run by cql-execution + cql-exec-fhir on each record file.
// Usage: node peer.js ELM REPEATS FILE...   Prints one JSON line per file.
'use strict';
const fs = require('fs');
const cql = require('cql-execution');
const cqlfhir = require('cql-exec-fhir');

const [elmPath, repeatsArg, ...files] = process.argv.slice(2);
const repeats = Number(repeatsArg);
const library = new cql.Library(JSON.parse(fs.readFileSync(elmPath, 'utf8')));
const executor = new cql.Executor(library);
const when = cql.DateTime.parse('2026-11-20T00:00:00.000+01:00');
// One source for the process, emptied per call: building it parses the FHIR model info
// (about 90 ms), which a CQL service would do once at start-up, as ours loads its criteria once.
const source = cqlfhir.PatientSource.FHIRv401();

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function once(text) {
  const t0 = process.hrtime.bigint();
  const bundle = JSON.parse(text);
  const t1 = process.hrtime.bigint();
  source.reset();
  source.loadBundles([bundle]);
  const results = await executor.exec(source, when);
  const t2 = process.hrtime.bigint();
  const answer = Object.values(results.patientResults)[0].MComponentWithin180Days;
  return { parse: Number(t1 - t0) / 1e6, rule: Number(t2 - t1) / 1e6, answer };
}

async function main() {
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    await once(text); // warm-up
    const parse = [];
    const rule = [];
    let answer;
    for (let i = 0; i < repeats; i++) {
      const r = await once(text);
      parse.push(r.parse);
      rule.push(r.rule);
      answer = r.answer;
    }
    process.stdout.write(JSON.stringify({
      file: file.split('/').pop(), bytes: Buffer.byteLength(text), answer,
      parse_ms: median(parse), rule_ms: median(rule),
    }) + '\n');
  }
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack) + '\n');
  process.exit(1);
});
