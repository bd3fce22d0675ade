import { expect } from 'chai';
import { NotFound, PolicyRefusal } from '../../lib/model/errors.js';
import { createPolicies } from '../../lib/policy/policies.js';
import { defaultLogger } from '../../lib/runtime/log.js';
import { MAX_LIVE_TOKENS } from '../../lib/store/tokens.js';
import { describeEachDatabase } from '../support/databases.js';
import { cliDatabase, type CliDatabase } from './cli-writes.js';

describeEachDatabase('The token-write path (policy/tokens.ts)', (db) => {
  let cli: CliDatabase;
  before(async () => {
    cli = await cliDatabase(db);
  });
  after(async () => {
    await cli?.close();
  });

  const policies = () => createPolicies(cli.store, defaultLogger());

  it('a token created by the CLI produces exactly one audit row (actor cli), committed with the token; revoking it one more', async () => {
    const connector = await policies().connectors.create(
      { organizationId: 'org-t', name: 'Tokens' },
      { actor: 'admin' },
    );
    const created = await cli.run(
      'token',
      'create',
      '--connector',
      connector.id,
      '--label',
      'entra',
      '--expires-days',
      '30',
    );
    expect(created.code, created.err).to.equal(0);
    const [token] = await cli.store.tokens.list(connector.id);
    const log = await cli.store.audit.list(connector.id, { operation: 'token.create', limit: 10 });
    expect(log.map((e) => [e.actor, e.outcome, e.resourceId])).to.deep.equal([['cli', 'success', token.id]]);
    const detail = JSON.parse(log[0].detail!);
    expect(detail).to.include({ displayPrefix: token.displayPrefix, label: 'entra' });
    // The plain token is shown once and never reaches the log.
    expect(log[0].detail).to.not.include(created.out);

    expect((await cli.run('token', 'revoke', token.id)).code).to.equal(0);
    const revoked = await cli.store.audit.list(connector.id, { operation: 'token.revoke', limit: 10 });
    expect(revoked.map((e) => [e.actor, e.resourceId])).to.deep.equal([['cli', token.id]]);
  });

  it('one token over the live limit is a PolicyRefusal (409 too_many_live_tokens), recorded as a refusal and not created', async () => {
    const connector = await policies().connectors.create(
      { organizationId: 'org-t', name: 'Limit' },
      { actor: 'admin' },
    );
    for (let i = 0; i < MAX_LIVE_TOKENS; i += 1)
      await policies().tokens.create(connector, { label: `t${i}` }, { actor: 'admin' });
    const error = await policies()
      .tokens.create(connector, { label: 'one too many' }, { actor: 'admin' })
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(PolicyRefusal).and.include({ status: 409, code: 'too_many_live_tokens' });
    expect(await cli.store.tokens.list(connector.id)).to.have.length(MAX_LIVE_TOKENS);
    const log = await cli.store.audit.list(connector.id, { operation: 'token.create', limit: 10 });
    expect(log.filter((e) => e.outcome === 'failure').map((e) => e.status)).to.deep.equal([409]);
  });

  it("revoking another connector's token is NotFound, and nothing is revoked", async () => {
    const mine = await policies().connectors.create({ organizationId: 'org-t', name: 'Mine' }, { actor: 'admin' });
    const theirs = await policies().connectors.create({ organizationId: 'org-u', name: 'Theirs' }, { actor: 'admin' });
    const { record } = await policies().tokens.create(theirs, {}, { actor: 'admin' });
    const error = await policies()
      .tokens.revoke(record.id, mine.id, { actor: 'admin' })
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(NotFound);
    expect((await cli.store.tokens.list(theirs.id))[0].revokedAt).to.equal(null);
  });
});
