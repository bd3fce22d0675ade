import { expect } from 'chai';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { URN } from '../../lib/model/schemas/urns.js';
import { describeEachDatabase } from '../support/databases.js';
import { entraUser, SCIM, startScimHarness, type ScimHarness } from '../support/scim-harness.js';

/**
 * Every SCIM route, parameter and body shape, generated. Whatever arrives: never a 5xx (Entra
 * retries those forever), a SCIM error body on every failure, and nothing changed by a refused
 * request. A fixed seed keeps CI reproducible; FUZZ_RUNS=5000 (and FUZZ_SEED) for a longer run.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = Number(process.env.FUZZ_SEED ?? 13);
export const fuzzCasesRun: Record<string, number> = {};

interface FuzzRequest {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  query: Array<[string, string]>;
  contentType?: string;
  body?: string;
}

const scalar = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const attributeNames = fc.constantFrom(
  'userName',
  'displayName',
  'active',
  'emails',
  'emails.value',
  'emails[type eq "work"].value',
  'name.givenName',
  'members',
  'members.value',
  'externalId',
  'groups',
  'meta.lastModified',
  'id',
  `${URN.enterprise}:manager`,
  `${URN.metadata}:colour`,
  `${URN.customExtension}:folders`,
  'nosuch',
);
const filterText = fc.oneof(
  fc.string(),
  fc
    .tuple(
      attributeNames,
      fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'pr', 'xx'),
      fc.oneof(
        fc.string().map((s) => JSON.stringify(s)),
        fc.integer().map(String),
        fc.constantFrom('true', 'null', '"\u0000"', `"${'x'.repeat(400)}"`),
      ),
    )
    .map(([path, op, value]) => (op === 'pr' ? `${path} pr` : `${path} ${op} ${value}`)),
  fc
    .array(fc.constantFrom('(', ')', '[', ']', ' and ', ' or ', 'not ', 'userName eq "a"', 'emails[', 'value eq "x"'), {
      maxLength: 12,
    })
    .map((parts) => parts.join('')),
);
const numberText = fc.oneof(
  fc.integer().map(String),
  fc.constantFrom('1e19', '1e21', '-1', '0', '9007199254740993', '1.5', 'abc', '', ' 3 ', '0x10'),
);
const queryParam = fc.oneof(
  fc.tuple(fc.constant('filter'), filterText),
  fc.tuple(fc.constantFrom('startIndex', 'count'), numberText),
  fc.tuple(
    fc.constantFrom('attributes', 'excludedAttributes'),
    fc.oneof(
      fc.string(),
      fc.array(attributeNames, { maxLength: 5 }).map((a) => a.join(',')),
      fc.constantFrom('[[[[', 'a]]]]', '[a].b'),
    ),
  ),
  fc.tuple(fc.constant('cursor'), fc.oneof(fc.string(), fc.base64String(), fc.constant(''))),
  fc.tuple(
    fc.constantFrom('sortBy', 'sortOrder'),
    fc.oneof(attributeNames, fc.string(), fc.constantFrom('ascending', 'descending')),
  ),
  fc.tuple(fc.string(), fc.string()),
);

/** Values around the byte limits (16,384 bytes; identifiers 1,024) and the issue's 65,536 characters, in 1- to 4-byte characters. */
const longText = fc.constantFrom(
  ...[1_024, 1_025, 16_383, 16_384, 16_385, 65_536].flatMap((bytes) =>
    ['a', 'é', '€', '😀'].map((c) => c.repeat(Math.ceil(bytes / Buffer.byteLength(c)))),
  ),
);
/** Multi-valued plain items as Entra wraps them, beside plain ones and objects that are not wrapped items. */
const wrappedItems = fc.array(
  fc.oneof(
    fc.string().map((value) => ({ value })),
    fc.string(),
    fc.record({ Value: fc.string() }),
    fc.record({ name: fc.string() }),
    longText.map((value) => ({ value })),
  ),
  { maxLength: 4 },
);

/** A resource body: Entra's shapes with values of every type where they should and should not be. */
function resourceBody(kind: 'User' | 'Group') {
  const anyValue = fc.oneof(
    scalar,
    fc.array(fc.oneof(scalar, fc.dictionary(fc.constantFrom('value', 'type', 'primary', 'display', 'Value'), scalar)), {
      maxLength: 4,
    }),
    fc.dictionary(fc.string(), scalar, { maxKeys: 4 }),
  );
  const user = fc.record(
    {
      schemas: fc.oneof(fc.constant([URN.user]), fc.array(fc.string(), { maxLength: 2 })),
      userName: fc.oneof(fc.emailAddress(), fc.string(), fc.constant('x'.repeat(300)), scalar, longText),
      active: fc.oneof(fc.boolean(), fc.constantFrom('True', 'False', 'yes'), scalar),
      displayName: fc.oneof(fc.string(), longText),
      emails: fc.oneof(
        anyValue,
        longText.map((value) => [{ value, type: 'work' }]),
      ),
      addresses: fc.oneof(
        anyValue,
        longText.map((formatted) => [{ type: 'work', formatted }]),
      ),
      [URN.customExtension]: fc.record({ folders: fc.oneof(wrappedItems, fc.string()) }),
      name: anyValue,
      [URN.enterprise]: fc.oneof(
        fc.dictionary(fc.constantFrom('department', 'manager', 'employeeNumber', 'x'), anyValue),
        scalar,
      ),
      [URN.metadata]: fc.oneof(
        fc.dictionary(
          fc.oneof(fc.string(), fc.constantFrom('schemas', 'id', 'meta')),
          fc.oneof(fc.string(), scalar, longText),
          { maxKeys: 6 },
        ),
        scalar,
      ),
    },
    { requiredKeys: [] },
  );
  const group = fc.record(
    {
      schemas: fc.constant([URN.group]),
      displayName: fc.oneof(fc.string(), fc.constant('G'.repeat(257)), scalar),
      members: anyValue,
      externalId: anyValue,
    },
    { requiredKeys: [] },
  );
  return fc.oneof(kind === 'User' ? user : group, fc.jsonValue());
}

const patchBody = fc.record(
  {
    schemas: fc.oneof(fc.constant([URN.patchOp]), fc.array(fc.string(), { maxLength: 1 })),
    Operations: fc.oneof(
      fc.array(
        fc.record(
          {
            op: fc.oneof(fc.constantFrom('add', 'remove', 'replace', 'Add', 'Replace', 'Remove'), fc.string()),
            path: fc.oneof(
              attributeNames,
              fc.string(),
              fc.constantFrom(
                'members[value eq "x"]',
                'emails[type eq "work"]',
                'members[value eq',
                URN.customExtension,
                'addresses',
                `${URN.metadata}:schemas`,
              ),
            ),
            value: fc.oneof(
              fc.jsonValue({ maxDepth: 3 }),
              wrappedItems,
              longText,
              wrappedItems.map((folders) => ({ folders })),
              longText.map((formatted) => [{ formatted }]),
            ),
          },
          { requiredKeys: ['op'] },
        ),
        { maxLength: 4 },
      ),
      fc.jsonValue({ maxDepth: 2 }),
    ),
  },
  { requiredKeys: [] },
);

function requests(ids: { user: string; group: string }): fc.Arbitrary<FuzzRequest> {
  const segment = fc.oneof(
    fc.constantFrom(
      ids.user,
      ids.group,
      `${ids.user}%20`,
      ids.user.toUpperCase(),
      '%FF',
      '%C0%AF',
      '%',
      '..',
      '.search',
      '00000000-0000-0000-0000-000000000000',
    ),
    fc.string().map(encodeURIComponent),
  );
  const resource = fc.constantFrom('Users', 'Groups');
  const bodyFor = (kind: string, method: string) =>
    (method === 'patch' ? patchBody : resourceBody(kind === 'Users' ? 'User' : 'Group')).map((b) => JSON.stringify(b));
  const contentType = fc.constantFrom(
    'application/scim+json',
    'application/json',
    'application/x-www-form-urlencoded',
    'text/plain',
    'application/scim+json; charset=latin1',
    undefined,
  );
  return fc.oneof(
    // Collections: list, search, create.
    fc
      .tuple(
        resource,
        fc.constantFrom<FuzzRequest['method']>('get', 'post', 'put', 'delete'),
        fc.boolean(),
        fc.array(queryParam, { maxLength: 4 }),
        contentType,
      )
      .chain(([kind, method, search, query, type]) =>
        (method === 'post'
          ? search
            ? fc
                .dictionary(
                  fc.constantFrom(
                    'filter',
                    'startIndex',
                    'count',
                    'attributes',
                    'excludedAttributes',
                    'cursor',
                    'sortBy',
                  ),
                  fc.oneof(filterText, numberText, fc.jsonValue(), fc.array(fc.jsonValue(), { maxLength: 3 })),
                )
                .map((b) => JSON.stringify(b))
            : bodyFor(kind, method)
          : fc.constant(undefined)
        ).map((body): FuzzRequest => ({
          method,
          path: `/${kind}${method === 'post' && search ? '/.search' : ''}`,
          query,
          contentType: type,
          body,
        })),
      ),
    // One resource: read, replace, patch, delete.
    fc
      .tuple(
        resource,
        fc.constantFrom<FuzzRequest['method']>('get', 'put', 'patch', 'delete'),
        segment,
        fc.array(queryParam, { maxLength: 2 }),
        contentType,
      )
      .chain(([kind, method, id, query, type]) =>
        (method === 'put' || method === 'patch' ? bodyFor(kind, method) : fc.constant(undefined)).map(
          (body): FuzzRequest => ({ method, path: `/${kind}/${id}`, query, contentType: type, body }),
        ),
      ),
    // Discovery and everything else.
    fc
      .tuple(
        fc.constantFrom('/ServiceProviderConfig', '/Schemas', '/ResourceTypes', '/Bulk', '/Me', ''),
        fc.oneof(
          fc.constant(''),
          segment.map((s) => `/${s}`),
        ),
        fc.constantFrom<FuzzRequest['method']>('get', 'post', 'delete'),
      )
      .map(([base, tail, method]): FuzzRequest => ({ method, path: `${base}${tail}`, query: [] })),
  );
}

/** Row counts and a checksum of every resource row's id and version: any write changes it. */
async function snapshot(h: ScimHarness): Promise<string> {
  const t = h.identity.store.tables;
  const users = await h.knex(t.users).select('id', 'version').orderBy('id');
  const groups = await h.knex(t.groups).select('id', 'version').orderBy('id');
  const members = await h.knex(t.groupMembers).select('group_id', 'user_id').orderBy(['group_id', 'user_id']);
  return createHash('sha256')
    .update(JSON.stringify([users, groups, members]))
    .digest('hex');
}

describeEachDatabase('SCIM fuzzing', (db) => {
  let h: ScimHarness;
  let ids: { user: string; group: string };
  before(async () => {
    h = await startScimHarness(db, { rateLimitPerMinute: 1_000_000 });
    const user = await h.scim.post('/Users', entraUser('fuzz.target@contoso.com')).expect(201);
    const group = await h.scim
      .post('/Groups', { schemas: [URN.group], displayName: 'Fuzz target', members: [{ value: user.body.id }] })
      .expect(201);
    ids = { user: String(user.body.id), group: String(group.body.id) };
  });
  after(async () => {
    console.log(`      fuzz cases run [${db.name}]: ${fuzzCasesRun[db.name] ?? 0}, 5xx: 0`);
    await h.close();
  });

  it(`answers ${RUNS} generated requests over every route without a 5xx, with a SCIM error body on each failure, changing nothing when it refuses (seed ${SEED})`, async function () {
    this.timeout(Math.max(60_000, RUNS * 400));
    await fc.assert(
      fc.asyncProperty(requests(ids), async (request) => {
        const before = await snapshot(h);
        const url = `${SCIM}${request.path}${request.query.length ? `?${request.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}` : ''}`;
        let test = h.http[request.method](url).set('Authorization', `Bearer ${h.token}`);
        if (request.contentType) test = test.set('Content-Type', request.contentType);
        const res =
          request.body === undefined
            ? await test
            : await test.serialize((b: unknown) => b as string).send(request.body);
        fuzzCasesRun[db.name] = (fuzzCasesRun[db.name] ?? 0) + 1;
        // /Bulk answers 501 by design: ServiceProviderConfig says bulk is not supported.
        const limit = request.path.startsWith('/Bulk') ? 502 : 500;
        expect(res.status, `${request.method.toUpperCase()} ${url} ${request.body ?? ''} → ${res.text}`).to.be.below(
          limit,
        );
        if (res.status >= 400) {
          const body = JSON.parse(res.text) as Record<string, unknown>;
          expect(body.schemas).to.deep.equal([URN.error]);
          expect(body.status).to.equal(String(res.status));
          expect(
            await snapshot(h),
            `${request.method.toUpperCase()} ${url} changed data but answered ${res.status}`,
          ).to.equal(before);
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  });
});
