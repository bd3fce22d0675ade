import { expect } from 'chai';
import { GROUP_REGISTRY, USER_REGISTRY, type SchemaRegistry } from '../../lib/model/schemas/registry.js';
import type { AttributeDef, SchemaDef } from '../../lib/model/schemas/types.js';
import { maxBytesOf } from '../../lib/model/validate/ajv-schema.js';
import { MAX_IDENTIFIER_BYTES } from '../../lib/model/limits.js';
import { describeEachDatabase } from '../support/databases.js';
import { entraUser, startScimHarness, type ScimHarness } from '../support/scim-harness.js';

/** One text attribute a client writes: where it sits in a body, and its limit from the definitions. */
interface TextLeaf {
  path: string;
  limit: number;
  place(value: string): Record<string, unknown>;
}

/** Every client-writable text attribute of a registry, with the body that carries one value of it. */
function textLeaves(registry: SchemaRegistry): TextLeaf[] {
  const leaves: TextLeaf[] = [];
  const writable = (def: AttributeDef) => def.mutability === 'readWrite' || def.mutability === 'immutable';
  const visit = (schema: SchemaDef, extension: boolean) => {
    const wrap = (inner: Record<string, unknown>) => (extension ? { [schema.id]: inner } : inner);
    const prefix = extension ? `${schema.id}:` : '';
    for (const def of schema.attributes.filter(writable)) {
      const own = maxBytesOf(def);
      if (own) {
        leaves.push({
          path: `${prefix}${def.name}`,
          limit: own,
          place: (v) => wrap({ [def.name]: def.multiValued ? [v] : v }),
        });
      }
      for (const sub of (def.subAttributes ?? []).filter(writable)) {
        const limit = maxBytesOf(sub);
        if (!limit) continue;
        const element = (v: string) => ({ ...(sub.name === 'value' ? {} : { value: 'x' }), [sub.name]: v });
        leaves.push({
          path: `${prefix}${def.name}${def.multiValued ? '[0]' : ''}.${sub.name}`,
          limit,
          place: (v) => wrap({ [def.name]: def.multiValued ? [element(v)] : { [sub.name]: v } }),
        });
      }
    }
  };
  visit(registry.core, false);
  for (const extension of registry.extensions) visit(extension, true);
  return leaves;
}

/** A value of exactly `bytes` UTF-8 bytes, mixing 1-, 2-, 3- and 4-byte characters (identifiers: 4-byte ones, at most 256). */
function valueOf(bytes: number): string {
  if (bytes >= MAX_IDENTIFIER_BYTES && bytes <= MAX_IDENTIFIER_BYTES + 1)
    return '😀'.repeat(MAX_IDENTIFIER_BYTES / 4) + 'a'.repeat(bytes - MAX_IDENTIFIER_BYTES);
  const pattern = 'aé€😀'; // 1 + 2 + 3 + 4 bytes
  let text = pattern.repeat(Math.floor(bytes / 10));
  text += 'a'.repeat(bytes - Buffer.byteLength(text));
  return text;
}

describeEachDatabase('Value limits: every text attribute at its byte limit and one byte over', (db) => {
  let h: ScimHarness;
  before(async () => {
    h = await startScimHarness(db, { settings: { groupsEnabled: true } });
  });
  after(async () => {
    await h?.close();
  });

  let n = 0;
  const userWith = (leaf: TextLeaf, value: string) => {
    const userName = `limit.${++n}@contoso.com`;
    const base = entraUser(userName);
    const body: Record<string, unknown> = { ...base, ...leaf.place(value) };
    // Entra's shape names the identifiers itself; when the leaf is one of them, it wins.
    // Unique per test: a 4-byte character of its own in front, keeping both the byte and the character count.
    const unique = (v: string) => `${String.fromCodePoint(0x1f300 + n)}${[...v].slice(1).join('')}`;
    if (leaf.path === 'userName') body.userName = unique(value);
    if (leaf.path === 'externalId') body.externalId = unique(value);
    return body;
  };

  it('the definitions give every text attribute a limit', () => {
    expect(textLeaves(USER_REGISTRY).length).to.be.greaterThan(30);
    expect(textLeaves(GROUP_REGISTRY).map((l) => l.path)).to.include('displayName');
  });

  for (const leaf of textLeaves(USER_REGISTRY)) {
    it(`User ${leaf.path}: ${leaf.limit} bytes is stored whole; ${leaf.limit + 1} is 400 invalidValue naming it`, async () => {
      const atLimit = await h.scim.post('/Users', userWith(leaf, valueOf(leaf.limit)));
      expect(atLimit.status, JSON.stringify(atLimit.body).slice(0, 300)).to.be.oneOf([201, 400]);
      if (atLimit.status === 400) {
        // Some attributes have rules of their own (a role the connector does not map): never a length complaint.
        expect(atLimit.body.detail).to.not.match(/longer than/);
      }
      const over = await h.scim.post('/Users', userWith(leaf, valueOf(leaf.limit + 1)));
      expect(over.status, JSON.stringify(over.body).slice(0, 300)).to.equal(400);
      expect(over.body.scimType).to.equal('invalidValue');
      expect(over.body.detail).to.include(leaf.path.replace(/^urn:.*:/, ''));
    });
  }

  it('Group displayName: at its limit stored, one byte over 400 naming it', async () => {
    const [leaf] = textLeaves(GROUP_REGISTRY).filter((l) => l.path === 'displayName');
    const ok = await h.scim.post('/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: valueOf(leaf.limit),
    });
    expect(ok.status).to.equal(201);
    const over = await h.scim.post('/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: valueOf(leaf.limit + 1),
    });
    expect(over.status).to.equal(400);
    expect(over.body.detail).to.include('displayName');
  });

  it("the issue's 65,536-character email and addresses[].formatted answer 400, not 500", async () => {
    const long = 'a'.repeat(65_536);
    const email = await h.scim.post(
      '/Users',
      entraUser('long.email@contoso.com', { emails: [{ value: `${long}@contoso.com`, type: 'work', primary: true }] }),
    );
    expect(email.status).to.equal(400);
    expect(email.body.detail).to.include('emails[0].value');
    const formatted = await h.scim.post(
      '/Users',
      entraUser('long.address@contoso.com', { addresses: [{ type: 'work', formatted: long }] }),
    );
    expect(formatted.status).to.equal(400);
    expect(formatted.body.detail).to.include('addresses[0].formatted');
  });
});
