/**
 * The raw-Knex baseline: the row writes and reads the store makes for each SCIM request, with
 * no HTTP, no SCIM parsing/validation/serialisation, no auth, no audit — on its own fresh
 * database (table prefix raw_). One transaction per user write, as the store does.
 */
import type { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { connectKnex } from '../lib/store/connect.js';
import { normalizeKey } from '../lib/store/keys.js';
import { migrateLatest } from '../lib/store/migrate.js';
import { projectUser, type UserProjection } from '../lib/store/project-user.js';
import { tableNames, type TableNames } from '../lib/store/tables.js';
import { preloadUsers } from './preload.js';
import type { PatchBody, Target, UserDocument } from './scenario.js';

export const RAW_PREFIX = 'raw_';
const COLUMNS = [
  'id',
  'connector_id',
  'user_name',
  'external_id',
  'active',
  'display_name',
  'login_method',
  'web_role',
  'protected',
  'version',
  'document',
  'created_at',
  'updated_at',
];

export class RawKnexTarget implements Target {
  private constructor(
    private readonly knex: Knex,
    private readonly t: TableNames,
    private readonly connectorId: string,
  ) {}

  /** Migrates a fresh `raw_` schema at `databaseUrl` and adds the one connector row users hang off. */
  static async open(databaseUrl: string): Promise<RawKnexTarget> {
    const knex = connectKnex(databaseUrl);
    await migrateLatest(knex, RAW_PREFIX);
    const t = tableNames(RAW_PREFIX);
    const connectorId = randomUUID();
    await knex(t.connectors).insert({
      id: connectorId,
      organization_id: 'bench',
      name: 'raw',
      settings: '{}',
      created_at: Date.now(),
      updated_at: Date.now(),
    });
    return new RawKnexTarget(knex, t, connectorId);
  }

  close(): Promise<void> {
    return this.knex.destroy();
  }

  /** Users written before the timed phases, as on the SCIM side (preload.ts). */
  preload(from: number, count: number, seed: number): Promise<void> {
    return preloadUsers(this.knex, this.t, this.connectorId, from, count, seed);
  }

  private async first(query: Knex.QueryBuilder): Promise<string | null> {
    const row = await query.first();
    return row ? String(row.id) : null;
  }

  findByUserName(userName: string) {
    return this.first(
      this.knex(this.t.users)
        .select(COLUMNS)
        .where({ connector_id: this.connectorId, user_name_key: normalizeKey(userName) }),
    );
  }

  findByWorkEmail(email: string) {
    return this.first(
      this.knex(`${this.t.userValues} as v`)
        .join(`${this.t.users} as u`, 'u.id', 'v.user_id')
        .select(COLUMNS.map((c) => `u.${c}`))
        .where({
          'v.connector_id': this.connectorId,
          'v.attribute': 'emails',
          'v.value_key': normalizeKey(email),
          'v.type': 'work',
        }),
    );
  }

  findByExternalId(externalId: string) {
    return this.first(
      this.knex(this.t.users).select(COLUMNS).where({ connector_id: this.connectorId, external_id: externalId }),
    );
  }

  async createUser(document: UserDocument): Promise<string> {
    const id = uuidv7();
    const now = Date.now();
    const projection = projectUser(document);
    await this.knex.transaction(async (trx) => {
      await trx(this.t.users).insert({
        id,
        connector_id: this.connectorId,
        ...projection.columns,
        login_method: 'builtin',
        web_role: 'User',
        protected: false,
        password_hash: null,
        version: 1,
        document: JSON.stringify(document),
        created_at: now,
        updated_at: now,
      });
      await this.insertChildren(trx, id, projection);
    });
    return id;
  }

  async patchUser(id: string, _patch: PatchBody, patched: UserDocument): Promise<void> {
    const projection = projectUser(patched);
    await this.knex.transaction(async (trx) => {
      await trx(this.t.users)
        .where({ id, connector_id: this.connectorId })
        .update({
          ...projection.columns,
          document: JSON.stringify(patched),
          version: trx.raw('version + 1'),
          updated_at: Date.now(),
        });
      await Promise.all(
        [this.t.userValues, this.t.userAddresses, this.t.userExtensions].map((table) =>
          trx(table).where({ user_id: id }).delete(),
        ),
      );
      await this.insertChildren(trx, id, projection);
    });
  }

  async deleteUser(id: string): Promise<void> {
    await this.knex(this.t.users).where({ id, connector_id: this.connectorId }).delete(); // children cascade
  }

  async createGroup(displayName: string, externalId: string): Promise<string> {
    const id = uuidv7();
    const now = Date.now();
    await this.knex(this.t.groups).insert({
      id,
      connector_id: this.connectorId,
      display_name: displayName,
      display_name_key: normalizeKey(displayName),
      external_id: externalId,
      version: 1,
      document: JSON.stringify({ displayName, externalId }),
      created_at: now,
      updated_at: now,
    });
    return id;
  }

  async addMembers(groupId: string, userIds: string[]): Promise<void> {
    const now = Date.now();
    await this.knex(this.t.groupMembers).insert(
      userIds.map((userId) => ({ group_id: groupId, user_id: userId, display: null, created_at: now })),
    );
  }

  async listUsers(startIndex: number, count: number): Promise<void> {
    const ids = (
      await this.knex(this.t.users)
        .select('id')
        .where('connector_id', this.connectorId)
        .orderBy([{ column: 'created_at' }, { column: 'id' }])
        .limit(count)
        .offset(startIndex - 1)
    ).map((r: { id: string }) => r.id);
    const rows = await this.knex(this.t.users).select(COLUMNS).whereIn('id', ids); // by primary key
    if (rows.length !== ids.length || !rows.length) throw new Error(`raw list at ${startIndex}: ${rows.length} rows`);
  }

  async countUsers(): Promise<number> {
    const row = await this.knex(this.t.users).where('connector_id', this.connectorId).count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  private async insertChildren(trx: Knex.Transaction, userId: string, p: UserProjection): Promise<void> {
    const withIds = <T extends object>(rows: T[]) =>
      rows.map((r) => ({ ...r, user_id: userId, connector_id: this.connectorId }));
    await Promise.all([
      p.values.length ? trx(this.t.userValues).insert(withIds(p.values)) : null,
      p.addresses.length ? trx(this.t.userAddresses).insert(withIds(p.addresses)) : null,
      p.extensions.length ? trx(this.t.userExtensions).insert(withIds(p.extensions)) : null,
    ]);
  }
}
