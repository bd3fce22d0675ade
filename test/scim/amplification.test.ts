import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** Peak memory is a property of a whole process: the host runs in a child of its own. */
describe('SCIM memory amplification', () => {
  it('three parallel 1 MB bodies of 250,000 bare-string emails are refused early (400 tooMany) and raise peak RSS by less than 100 MB', async () => {
    const child = new URL('./fixtures/amplification-host.ts', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child], { timeout: 60_000 });
    const report = JSON.parse(stdout) as {
      bodyBytes: number;
      beforeMb: number;
      peakMb: number;
      statuses: number[];
      scimTypes: string[];
    };
    console.log('      peak RSS under the amplification case:', report);
    expect(report.bodyBytes).to.be.within(900_000, 1024 * 1024);
    expect(report.statuses).to.deep.equal([400, 400, 400]);
    expect(report.scimTypes).to.deep.equal(['tooMany', 'tooMany', 'tooMany']);
    // Before the cap one such request took RSS from 177 to 925 MB, and three reached 1.67 GB.
    expect(report.peakMb - report.beforeMb).to.be.below(100);
  });
});
