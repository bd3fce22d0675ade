import { expect } from 'chai';
import { IdentityConnectorError, InvalidInput, PolicyRefusal } from '../../lib/model/errors.js';
import { SettingsError } from '../../lib/model/settings.js';
import { createPolicies } from '../../lib/policy/policies.js';
import { defaultLogger } from '../../lib/runtime/log.js';
import { describeEachDatabase } from '../support/databases.js';
import { cliDatabase, type CliDatabase } from './cli-writes.js';

describeEachDatabase('The connector-write path (policy/connectors.ts)', (db) => {
  let cli: CliDatabase;
  before(async () => {
    cli = await cliDatabase(db);
  });
  after(async () => {
    await cli?.close();
  });

  const policies = () => createPolicies(cli.store, defaultLogger());
  const rows = async (connectorId: string, operation: string) =>
    cli.store.audit.list(connectorId, { operation, limit: 50 });

  it('a connector settings change produces exactly one audit row, committed with the change (admin and CLI alike)', async () => {
    const connector = await policies().connectors.create(
      { organizationId: 'org-a', name: 'Settings' },
      { actor: 'admin' },
    );
    await policies().connectors.updateSettings(connector, { groupsEnabled: false }, { actor: 'admin', by: 'admin-1' });
    const changed = await cli.run(
      'connector',
      'settings',
      '--connector',
      connector.id,
      '--set',
      '{"deleteMode": "deactivate"}',
    );
    expect(changed.code, changed.err).to.equal(0);
    const log = await rows(connector.id, 'connector.settings');
    expect(log.map((e) => [e.actor, e.outcome, JSON.parse(e.detail!).changed])).to.have.deep.members([
      ['admin', 'success', ['groupsEnabled']],
      ['cli', 'success', ['deleteMode']],
    ]);
    expect((await cli.store.connectors.get(connector.id))!.settings).to.include({
      groupsEnabled: false,
      deleteMode: 'deactivate',
    });
  });

  it('an invalid setting is InvalidInput (SettingsError, 400) and writes neither the change nor a row', async () => {
    const connector = await policies().connectors.create(
      { organizationId: 'org-a', name: 'Invalid' },
      { actor: 'admin' },
    );
    const error = await policies()
      .connectors.updateSettings(connector, { deleteMode: 'shred' }, { actor: 'admin' })
      .catch((e: unknown) => e);
    expect(error)
      .to.be.instanceOf(SettingsError)
      .and.instanceOf(InvalidInput)
      .and.include({ status: 400, code: 'invalid_settings', field: 'deleteMode' });
    expect(await rows(connector.id, 'connector.settings')).to.deep.equal([]);
  });

  it('creation by the CLI is audited with actor cli; a taken name is a Conflict on name; a malformed name an InvalidInput on name', async () => {
    const created = await cli.run('connector', 'create', '--org', 'org-b', '--name', 'Entra ID');
    expect(created.code, created.err).to.equal(0);
    const [connector] = await cli.store.connectors.list({ organizationId: 'org-b' });
    expect((await rows(connector.id, 'connector.create')).map((e) => e.actor)).to.deep.equal(['cli']);
    const taken = await policies()
      .connectors.create({ organizationId: 'org-b', name: 'Entra ID' }, { actor: 'admin' })
      .catch((e: unknown) => e);
    // Detected by the store's unique key: a StoreError, a member of the same family.
    expect(taken)
      .to.be.instanceOf(IdentityConnectorError)
      .and.include({ status: 409, code: 'conflict', field: 'name' });
    expect(() => policies().connectors.create({ organizationId: 'org-b', name: 'x'.repeat(192) }, { actor: 'admin' }))
      .to.throw(InvalidInput)
      .with.property('field', 'name');
  });

  it('resuming a deprovisioning nobody paused is a PolicyRefusal (409 not_paused), not written', async () => {
    const connector = await policies().connectors.create(
      { organizationId: 'org-a', name: 'Not paused' },
      { actor: 'admin' },
    );
    expect(() => policies().connectors.resumeDeprovisioning(connector, { actor: 'admin' }))
      .to.throw(PolicyRefusal)
      .with.property('status', 409);
    expect(await rows(connector.id, 'connector.deprovisioning-resumed')).to.deep.equal([]);
  });
});
