import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBench } from '../../bench/run.js';
import { ROW } from '../../bench/scenario.js';

/** Proves `npm run bench` still works end to end, at a size that takes seconds. No timing is asserted. */
describe('benchmark smoke run (bench/, demo host as a child process, SQLite)', function () {
  this.timeout(120_000);
  let out: string;
  before(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-bench-smoke-'));
  });
  after(() => {
    fs.rmSync(out, { recursive: true, force: true });
  });

  it('runs every phase over SCIM and raw Knex without a single error and writes the JSON result', async () => {
    const result = await runBench({ users: 30, groups: 3, concurrency: 2, db: 'sqlite', out });

    const files = fs.readdirSync(out).filter((f) => f.endsWith('.json'));
    expect(files).to.have.length(1);
    const saved = JSON.parse(fs.readFileSync(path.join(out, files[0]), 'utf8'));
    expect(saved).to.deep.equal(JSON.parse(JSON.stringify(result)));
    expect(saved).to.include({ db: 'sqlite', users: 30, concurrency: 2 });

    const names = saved.phases.map((p: { name: string }) => p.name);
    expect(names).to.have.members(Object.values(ROW));
    for (const phase of saved.phases) {
      expect(phase).to.include.all.keys('name', 'requests', 'rps', 'p50Ms', 'p95Ms', 'p99Ms', 'errors');
      expect(phase.errors, `${phase.name}: ${saved.errorSamples.join('\n')}`).to.equal(0);
      expect(phase.requests, phase.name).to.be.above(0);
      expect(phase.rps, phase.name).to.be.above(0);
      expect(phase.p50Ms).to.be.at.most(phase.p95Ms);
      expect(phase.p95Ms).to.be.at.most(phase.p99Ms);
    }
    const requests = (name: string) => saved.phases.find((p: { name: string }) => p.name === name).requests;
    expect(requests(ROW.lookupBeforeCreate)).to.equal(30);
    expect(requests(ROW.create)).to.equal(30);
    expect(requests(ROW.groupCreate)).to.equal(3);
    expect(requests(ROW.membership)).to.equal(3); // 3 groups of 20 members: one PATCH each
    expect([requests(ROW.update), requests(ROW.deactivate), requests(ROW.delete)]).to.deep.equal([3, 1, 1]);
    expect(saved.storedUsersAtReads).to.equal(30 - 1 + 1); // one deleted, plus the demo host's own admin

    expect(saved.baseline.map((b: { name: string }) => b.name)).to.deep.equal(names);
    for (const b of saved.baseline) expect(b.rps, b.name).to.be.a('number').and.above(0);
    expect(saved.baselineErrors).to.equal(0);
    expect(Object.keys(saved.ratios)).to.have.members(names);
    for (const ratio of Object.values(saved.ratios)) expect(ratio).to.be.a('number').and.above(0);
    expect(saved.peakRssMb).to.be.a('number').and.above(0);
  });
});
