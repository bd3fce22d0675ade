import { expectBadRequest, scimErrorOf } from '../support/scim-error.js';
import { expect } from 'chai';
import fc from 'fast-check';
import { applyPatch, type PatchOptions } from '../../lib/scim/patch/apply.js';
import { GROUP_REGISTRY, USER_REGISTRY } from '../../lib/model/schemas/registry.js';
import { URN } from '../../lib/model/schemas/urns.js';
import type { MembershipChange, ResourceDocument } from '../../lib/model/types.js';

const OPTIONS: PatchOptions = { allowExtensionPassthrough: false, acceptPassword: false };
const MANAGER = `${URN.enterprise}:manager`;

const patchBody = (...Operations: unknown[]) => ({ schemas: [URN.patchOp], Operations });

/** A stored user: Ada with a home email (primary), a name, a department and a manager. */
const ADA: ResourceDocument = Object.freeze({
  schemas: [URN.user, URN.enterprise],
  userName: 'ada',
  active: true,
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [{ type: 'home', value: 'ada@home', primary: true }],
  [URN.enterprise]: { department: 'R&D', manager: { value: 'm-1' } },
});

const GROUP: ResourceDocument = Object.freeze({ schemas: [URN.group], displayName: 'Staff' });

const patchUser = (operations: unknown[], options: Partial<PatchOptions> = {}, document: ResourceDocument = ADA) =>
  applyPatch(USER_REGISTRY, document, patchBody(...operations), { ...OPTIONS, ...options });

describe('applyPatch', () => {
  describe('on users', () => {
    const cases: Array<{
      name: string;
      operations: unknown[];
      options?: Partial<PatchOptions>;
      expect: (document: Record<string, any>) => void;
    }> = [
      {
        name: 'PATCH replace active="False" (Entra string boolean) deactivates the user',
        operations: [{ op: 'Replace', path: 'active', value: 'False' }],
        expect: (d) => expect(d.active).to.equal(false),
      },
      {
        name: 'capitalised "Replace", "Add" and "Remove" are read like their lower-case names',
        operations: [
          { op: 'Replace', path: 'title', value: 'Countess' },
          { op: 'Add', path: 'nickName', value: 'A' },
          { op: 'Remove', path: 'name.familyName' },
        ],
        expect: (d) => {
          expect(d).to.include({ title: 'Countess', nickName: 'A' });
          expect(d.name).to.deep.equal({ givenName: 'Ada' });
        },
      },
      {
        name: 'path-less add with "emails[type eq \\"work\\"].value" key creates the work email',
        operations: [{ op: 'Add', value: { 'emails[type eq "work"].value': 'ada@work' } }],
        expect: (d) =>
          expect(d.emails).to.deep.equal([
            { type: 'home', value: 'ada@home', primary: true },
            { type: 'work', value: 'ada@work' },
          ]),
      },
      {
        name: 'replace "emails[type eq \\"home\\"].value" updates the matching element only',
        operations: [{ op: 'replace', path: 'emails[type eq "HOME"].value', value: 'ada@new' }],
        expect: (d) => expect(d.emails).to.deep.equal([{ type: 'home', value: 'ada@new', primary: true }]),
      },
      {
        name: 'filter values are read with the attribute type ("True" for a boolean primary)',
        operations: [{ op: 'replace', path: 'emails[primary eq "True"].value', value: 'ada@primary' }],
        expect: (d) => expect(d.emails).to.deep.equal([{ type: 'home', value: 'ada@primary', primary: true }]),
      },
      {
        name: 'replace of a filtered sub-attribute with no match creates the element from the eq filter (Entra)',
        operations: [
          { op: 'Replace', path: 'addresses[type eq "work"].streetAddress', value: '1 Main St' },
          { op: 'Replace', path: 'addresses[type eq "work"].locality', value: 'Oslo' },
        ],
        expect: (d) =>
          expect(d.addresses).to.deep.equal([{ type: 'work', streetAddress: '1 Main St', locality: 'Oslo' }]),
      },
      {
        name: 'replace of a filtered element without sub-attribute replaces the matching element',
        operations: [{ op: 'replace', path: 'emails[type eq "home"]', value: { type: 'home', value: 'x@home' } }],
        expect: (d) => expect(d.emails).to.deep.equal([{ type: 'home', value: 'x@home' }]),
      },
      {
        name: 'replace of a sub-attribute path keeps the other sub-attributes',
        operations: [{ op: 'replace', path: 'name.givenName', value: 'Augusta' }],
        expect: (d) => expect(d.name).to.deep.equal({ givenName: 'Augusta', familyName: 'Lovelace' }),
      },
      {
        name: 'path-less replace of a complex attribute merges its sub-attributes (RFC 7644 §3.5.2.3)',
        operations: [{ op: 'replace', value: { NAME: { GivenName: 'Augusta' }, displayName: 'Ada L' } }],
        expect: (d) => {
          expect(d.name).to.deep.equal({ givenName: 'Augusta', familyName: 'Lovelace' });
          expect(d.displayName).to.equal('Ada L');
        },
      },
      {
        name: 'path-less value keys may be dotted and URN-qualified paths',
        operations: [
          { op: 'Replace', value: { 'name.familyName': 'King', [`${URN.enterprise}:department`]: 'Maths' } },
        ],
        expect: (d) => {
          expect(d.name.familyName).to.equal('King');
          expect(d[URN.enterprise].department).to.equal('Maths');
        },
      },
      {
        name: 'path-less value with an extension URN key holding an object updates its attributes',
        operations: [{ op: 'replace', value: { [URN.enterprise]: { Division: 'North' } } }],
        expect: (d) =>
          expect(d[URN.enterprise]).to.deep.equal({ department: 'R&D', division: 'North', manager: { value: 'm-1' } }),
      },
      {
        name: 'manager given as a bare id string on its URN path',
        operations: [{ op: 'Replace', path: MANAGER, value: 'm-2' }],
        expect: (d) => expect(d[URN.enterprise].manager).to.deep.equal({ value: 'm-2' }),
      },
      {
        name: 'manager given as {value} on its URN path, with the path in another case',
        operations: [{ op: 'Add', path: MANAGER.toUpperCase().replace('URN:', 'urn:'), value: { value: 'm-3' } }],
        expect: (d) => expect(d[URN.enterprise].manager).to.deep.equal({ value: 'm-3' }),
      },
      {
        name: 'replace with an empty string removes the attribute',
        operations: [{ op: 'Replace', path: `${URN.enterprise}:department`, value: '' }],
        expect: (d) => expect(d[URN.enterprise]).to.deep.equal({ manager: { value: 'm-1' } }),
      },
      {
        name: 'replace with null removes the attribute',
        operations: [{ op: 'Replace', path: 'name', value: null }],
        expect: (d) => expect(d).to.not.have.property('name'),
      },
      {
        name: 'replace of manager with {} removes it, and an emptied extension disappears from schemas',
        operations: [
          { op: 'Replace', path: MANAGER, value: {} },
          { op: 'Remove', path: `${URN.enterprise}:department` },
        ],
        expect: (d) => {
          expect(d).to.not.have.property(URN.enterprise);
          expect(d.schemas).to.deep.equal([URN.user]);
        },
      },
      {
        name: 'remove of a whole extension URN drops all its attributes',
        operations: [{ op: 'remove', path: URN.enterprise }],
        expect: (d) => expect(d).to.not.have.property(URN.enterprise),
      },
      {
        name: 'add on a multi-valued attribute appends, skipping values already there',
        operations: [
          {
            op: 'add',
            path: 'emails',
            value: [
              { type: 'home', value: 'ada@home', primary: true },
              { type: 'other', value: 'ada@other' },
            ],
          },
        ],
        expect: (d) =>
          expect(d.emails).to.deep.equal([
            { type: 'home', value: 'ada@home', primary: true },
            { type: 'other', value: 'ada@other' },
          ]),
      },
      {
        name: 'add of a primary value sets primary to false on the others (RFC 7644 §3.5.2)',
        operations: [{ op: 'Add', path: 'emails', value: { type: 'work', value: 'ada@work', primary: 'True' } }],
        expect: (d) =>
          expect(d.emails).to.deep.equal([
            { type: 'home', value: 'ada@home', primary: false },
            { type: 'work', value: 'ada@work', primary: true },
          ]),
      },
      {
        name: 'replace on a multi-valued attribute replaces the whole list',
        operations: [{ op: 'replace', path: 'emails', value: [{ type: 'work', value: 'ada@work' }] }],
        expect: (d) => expect(d.emails).to.deep.equal([{ type: 'work', value: 'ada@work' }]),
      },
      {
        name: 'remove with a value filter removes the matching elements',
        operations: [{ op: 'remove', path: 'emails[type eq "home" and primary eq true]' }],
        expect: (d) => expect(d).to.not.have.property('emails'),
      },
      {
        name: 'remove of a filtered sub-attribute removes it from the matching elements only',
        operations: [{ op: 'remove', path: 'emails[value ew "@home"].primary' }],
        expect: (d) => expect(d.emails).to.deep.equal([{ type: 'home', value: 'ada@home' }]),
      },
      {
        name: 'remove of a multi-valued attribute with a value removes the values matching it (Entra roles)',
        operations: [
          {
            op: 'add',
            path: 'roles',
            value: [{ value: 'Admin', primary: 'True', type: 'WindowsAzureActiveDirectoryRole' }, { value: 'User' }],
          },
          { op: 'Remove', path: 'roles', value: [{ value: 'admin' }] },
        ],
        expect: (d) => expect(d.roles).to.deep.equal([{ value: 'User' }]),
      },
      {
        name: 'folders on the CustomExtension path accept a comma-separated string',
        operations: [{ op: 'Replace', path: `${URN.customExtension}:folders`, value: 'Folder 1, Folder 2' }],
        expect: (d) => expect(d[URN.customExtension]).to.deep.equal({ folders: ['Folder 1', 'Folder 2'] }),
      },
      {
        name: 'remove of folders with a value removes those folders, in any case',
        operations: [
          { op: 'add', path: `${URN.customExtension}:folders`, value: ['A', 'B'] },
          { op: 'remove', path: `${URN.customExtension}:folders`, value: 'a' },
        ],
        expect: (d) => expect(d[URN.customExtension]).to.deep.equal({ folders: ['B'] }),
      },
      {
        name: 'Metadata keys are free-form and their values are stored as strings',
        operations: [
          { op: 'add', path: `${URN.metadata}:badge`, value: 1234 },
          { op: 'add', value: { [URN.metadata]: { visitor: false } } },
        ],
        expect: (d) => expect(d[URN.metadata]).to.deep.equal({ badge: '1234', visitor: 'false' }),
      },
      {
        name: 'primary given as "True" on a filtered path is a boolean and demotes the other primary',
        operations: [
          { op: 'add', path: 'emails', value: { type: 'work', value: 'ada@work' } },
          { op: 'replace', path: 'emails[type eq "work"].primary', value: 'True' },
        ],
        expect: (d) =>
          expect(d.emails).to.deep.equal([
            { type: 'home', value: 'ada@home', primary: false },
            { type: 'work', value: 'ada@work', primary: true },
          ]),
      },
      {
        name: 'read-only and unknown keys inside a path-less value are ignored',
        operations: [
          {
            op: 'replace',
            value: {
              id: 'other',
              meta: { version: 'W/"1"' },
              groups: [],
              adreses: 'x',
              nickName: 'A',
              schemas: [URN.user],
            },
          },
        ],
        expect: (d) => expect(d.nickName).to.equal('A'),
      },
      {
        name: 'password is kept for the caller to hash when accepted',
        operations: [{ op: 'replace', path: 'password', value: 'n3w' }],
        options: { acceptPassword: true },
        expect: (d) => expect(d.password).to.equal('n3w'),
      },
      {
        name: 'an undeclared extension attribute is kept as sent with passthrough',
        operations: [{ op: 'add', path: 'urn:example:ext:1.0:Thing:colour', value: 'blue' }],
        options: { allowExtensionPassthrough: true },
        expect: (d) => expect(d['urn:example:ext:1.0:Thing:colour']).to.equal('blue'),
      },
    ];
    for (const { name, operations, options, expect: check } of cases) {
      it(name, () => {
        const result = patchUser(operations, options);
        expect(result.changed).to.equal(true);
        expect(result.membership).to.deep.equal([]);
        check(result.document);
      });
    }

    describe('multi-valued string items wrapped as objects ([{"value": "x"}], as Entra wraps roles and members)', () => {
      const FOLDERS = `${URN.customExtension}:folders`;
      const WITH_FOLDERS: ResourceDocument = Object.freeze({ ...ADA, [URN.customExtension]: { folders: ['A', 'B'] } });
      const folders = (operations: unknown[]) =>
        (patchUser(operations, {}, WITH_FOLDERS).document[URN.customExtension] as any)?.folders;
      // Every path form that names folders: the full path, a path-less value under the extension, a path-less URN key.
      const forms: Array<{ form: string; op: (op: string, value: unknown) => unknown }> = [
        { form: 'full path', op: (op, value) => ({ op, path: FOLDERS, value }) },
        {
          form: 'path-less value under the extension',
          op: (op, value) => ({ op, value: { [URN.customExtension]: { folders: value } } }),
        },
        { form: 'path-less value keyed by the full path', op: (op, value) => ({ op, value: { [FOLDERS]: value } }) },
        {
          form: 'the extension as path',
          op: (op, value) => ({ op, path: URN.customExtension, value: { folders: value } }),
        },
      ];
      for (const { form, op } of forms) {
        it(`Add appends wrapped items (${form})`, () => {
          expect(folders([op('Add', [{ value: 'C' }, { value: 'A' }])])).to.deep.equal(['A', 'B', 'C']);
        });
        it(`Replace sets wrapped items (${form})`, () => {
          expect(folders([op('Replace', [{ value: 'X' }, 'Y'])])).to.deep.equal(['X', 'Y']);
        });
      }
      it('Remove takes out wrapped items, in any case', () => {
        expect(folders([{ op: 'Remove', path: FOLDERS, value: [{ value: 'a' }] }])).to.deep.equal(['B']);
        expect(folders([{ op: 'Remove', path: FOLDERS, value: { value: 'B' } }])).to.deep.equal(['A']);
      });
      it('Remove of a wrapped or plain value that is not there is a no-op (RFC 7644 §3.5.2.2)', () => {
        const result = patchUser(
          [
            { op: 'Remove', path: FOLDERS, value: [{ value: 'nope' }] },
            { op: 'Remove', path: FOLDERS, value: 'gone' },
          ],
          {},
          WITH_FOLDERS,
        );
        expect(result.changed).to.equal(false);
        expect((result.document[URN.customExtension] as any).folders).to.deep.equal(['A', 'B']);
      });
      it('an object that is not a wrapped item is refused with a 400, in add and remove', () => {
        expectBadRequest(
          () => patchUser([{ op: 'Add', path: FOLDERS, value: [{ name: 'A' }] }], {}, WITH_FOLDERS),
          'invalidValue',
          /folders/,
        );
        expectBadRequest(
          () => patchUser([{ op: 'Remove', path: FOLDERS, value: [{ name: 'A' }] }], {}, WITH_FOLDERS),
          'invalidValue',
          /folders/,
        );
      });
    });

    it('accepts a body without schemas (lenient) and reports changed false when nothing changed', () => {
      const result = applyPatch(
        USER_REGISTRY,
        ADA,
        {
          Operations: [
            { op: 'replace', path: 'userName', value: 'ada' },
            { op: 'remove', path: 'emails[type eq "work"]' },
          ],
        },
        OPTIONS,
      );
      expect(result.changed).to.equal(false);
      expect(result.document).to.deep.equal(ADA);
    });

    it('password is dropped when not accepted, which changes nothing', () => {
      const result = patchUser([{ op: 'replace', path: 'password', value: 'n3w' }]);
      expect(result.changed).to.equal(false);
      expect(result.document).to.not.have.property('password');
    });

    it('a failing second operation leaves the document unchanged', () => {
      const before = structuredClone(ADA);
      const error = scimErrorOf(() =>
        patchUser([
          { op: 'replace', path: 'title', value: 'x' },
          { op: 'replace', path: 'bogus', value: 'y' },
        ]),
      );
      expect(error.scimType).to.equal('invalidPath');
      expect(ADA).to.deep.equal(before);
    });
  });

  describe('on groups', () => {
    const cases: Array<{ name: string; operations: unknown[]; membership: MembershipChange[]; displayName?: string }> =
      [
        {
          name: 'Entra add of members as a list of {value}',
          operations: [{ op: 'Add', path: 'members', value: [{ value: 'u1' }, { value: 'u2', display: 'Bea' }] }],
          membership: [{ op: 'add', members: [{ value: 'u1' }, { value: 'u2', display: 'Bea' }] }],
        },
        {
          name: 'add of a single member object with the non-RFC displayName',
          operations: [{ op: 'add', path: 'members', value: { Value: 'u1', displayName: 'Ada' } }],
          membership: [{ op: 'add', members: [{ value: 'u1', display: 'Ada' }] }],
        },
        {
          name: "Microsoft validator's bare string member id",
          operations: [{ op: 'add', path: 'members', value: 'string id 1' }],
          membership: [{ op: 'add', members: [{ value: 'string id 1' }] }],
        },
        {
          name: 'remove by "members[value eq \\"id\\"]"',
          operations: [{ op: 'Remove', path: 'members[value eq "u1"]' }],
          membership: [{ op: 'remove', userIds: ['u1'] }],
        },
        {
          name: 'remove by a filter of value comparisons joined by or',
          operations: [{ op: 'remove', path: 'members[value eq "a" or value eq "b"]' }],
          membership: [{ op: 'remove', userIds: ['a', 'b'] }],
        },
        {
          name: 'Entra remove of members with a value list',
          operations: [{ op: 'Remove', path: 'members', value: [{ value: 'u1' }, { value: 'u2' }] }],
          membership: [{ op: 'remove', userIds: ['u1', 'u2'] }],
        },
        {
          name: 'remove of members without a value removes them all',
          operations: [{ op: 'remove', path: 'members' }],
          membership: [{ op: 'removeAll' }],
        },
        {
          name: 'replace of members, then path-less add, in request order',
          operations: [
            { op: 'replace', path: 'members', value: [{ value: 'u1' }] },
            { op: 'add', value: { members: [{ value: 'u2' }] } },
          ],
          membership: [
            { op: 'replace', members: [{ value: 'u1' }] },
            { op: 'add', members: [{ value: 'u2' }] },
          ],
        },
        {
          name: 'path-less replace of displayName and members (Microsoft validator)',
          operations: [{ op: 'replace', value: { id: 'g-1', displayName: 'Crew', members: [{ value: 'u9' }] } }],
          membership: [{ op: 'replace', members: [{ value: 'u9' }] }],
          displayName: 'Crew',
        },
      ];
    for (const { name, operations, membership, displayName } of cases) {
      it(name, () => {
        const result = applyPatch(GROUP_REGISTRY, GROUP, patchBody(...operations), OPTIONS);
        expect(result.membership).to.deep.equal(membership);
        expect(result.changed, 'the document changed').to.equal(displayName !== undefined);
        expect(result.document).to.deep.equal({ schemas: [URN.group], displayName: displayName ?? 'Staff' });
      });
    }

    it('displayName replace changes the document and touches no membership', () => {
      const result = applyPatch(
        GROUP_REGISTRY,
        GROUP,
        patchBody({ op: 'Replace', path: 'displayName', value: 'Crew' }),
        OPTIONS,
      );
      expect(result).to.deep.equal({
        document: { schemas: [URN.group], displayName: 'Crew' },
        membership: [],
        changed: true,
      });
    });
  });

  describe('refuses', () => {
    const cases: Array<{ name: string; run: () => unknown; scimType: string; detail: string | RegExp }> = [
      {
        name: 'an unknown attribute path (invalidPath naming it)',
        run: () => patchUser([{ op: 'replace', path: 'favouriteColour', value: 'x' }]),
        scimType: 'invalidPath',
        detail: /'favouriteColour'/,
      },
      {
        name: 'an unknown sub-attribute path',
        run: () => patchUser([{ op: 'replace', path: 'name.nick', value: 'x' }]),
        scimType: 'invalidPath',
        detail: /'name\.nick'/,
      },
      {
        name: 'a path that cannot be read',
        run: () => patchUser([{ op: 'remove', path: 'emails[type eq "work"' }]),
        scimType: 'invalidPath',
        detail: /invalid path/,
      },
      {
        name: 'a value filter on a single-valued attribute',
        run: () => patchUser([{ op: 'remove', path: 'name[givenName eq "Ada"]' }]),
        scimType: 'invalidPath',
        detail: /multi-valued/,
      },
      {
        name: 'a value filter naming an unknown sub-attribute, even when nothing would match',
        run: () => patchUser([{ op: 'remove', path: 'phoneNumbers[kind eq "x"]' }]),
        scimType: 'invalidFilter',
        detail: /kind/,
      },
      {
        name: 'a value filter on a simple multi-valued attribute',
        run: () => patchUser([{ op: 'remove', path: `${URN.customExtension}:folders[value eq "a"]` }]),
        scimType: 'invalidFilter',
        detail: /not a complex attribute/,
      },
      {
        name: 'an undeclared extension path',
        run: () => patchUser([{ op: 'add', path: 'urn:example:ext:1.0:Thing:colour', value: 'blue' }]),
        scimType: 'invalidPath',
        detail: /undeclared schema extension/,
      },
      {
        name: 'an undeclared extension key in a path-less value',
        run: () => patchUser([{ op: 'add', value: { 'urn:example:ext:1.0:Thing': { colour: 'blue' } } }]),
        scimType: 'invalidValue',
        detail: /undeclared schema extension/,
      },
      {
        name: 'a path to the readOnly id (mutability)',
        run: () => patchUser([{ op: 'replace', path: 'id', value: 'x' }]),
        scimType: 'mutability',
        detail: `Attribute 'id' is readOnly`,
      },
      {
        name: 'a path to a readOnly sub-attribute',
        run: () => patchUser([{ op: 'replace', path: 'meta.lastModified', value: '2024-01-01T00:00:00Z' }]),
        scimType: 'mutability',
        detail: `Attribute 'meta.lastModified' is readOnly`,
      },
      {
        name: 'a path to the readOnly groups',
        run: () => patchUser([{ op: 'add', path: 'groups', value: [{ value: 'g' }] }]),
        scimType: 'mutability',
        detail: `Attribute 'groups' is readOnly`,
      },
      {
        name: 'remove without a path (noTarget)',
        run: () => patchUser([{ op: 'remove' }]),
        scimType: 'noTarget',
        detail: /needs a path/,
      },
      {
        name: 'a filter that cannot describe a new element and matches nothing',
        run: () => patchUser([{ op: 'replace', path: 'emails[value co "work"].type', value: 'work' }]),
        scimType: 'noTarget',
        detail: /matches/,
      },
      {
        name: 'an unsupported op name (invalidValue)',
        run: () => patchUser([{ op: 'merge', path: 'title', value: 'x' }]),
        scimType: 'invalidValue',
        detail: /unsupported op "merge"/,
      },
      {
        name: 'an add without a value',
        run: () => patchUser([{ op: 'add', path: 'title' }]),
        scimType: 'invalidValue',
        detail: /needs a value/,
      },
      {
        name: 'a path-less add whose value is not an object',
        run: () => patchUser([{ op: 'add', value: 'x' }]),
        scimType: 'invalidValue',
        detail: /object of attributes/,
      },
      {
        name: 'a wrong type, naming the attribute',
        run: () => patchUser([{ op: 'replace', path: 'active', value: 'maybe' }]),
        scimType: 'invalidValue',
        detail: `Attribute 'active' must be boolean`,
      },
      {
        name: 'a wrong type in an element, naming it',
        run: () => patchUser([{ op: 'replace', path: 'emails[type eq "home"].primary', value: 3 }]),
        scimType: 'invalidValue',
        detail: `Attribute 'emails[0].primary' must be boolean`,
      },
      {
        name: 'removing the required userName',
        run: () => patchUser([{ op: 'remove', path: 'userName' }]),
        scimType: 'invalidValue',
        detail: 'userName is required',
      },
      {
        name: 'replacing userName with an empty value',
        run: () => patchUser([{ op: 'Replace', value: { userName: '' } }]),
        scimType: 'invalidValue',
        detail: 'userName is required',
      },
      {
        name: 'a body that is not an object',
        run: () => applyPatch(USER_REGISTRY, ADA, 'x', OPTIONS),
        scimType: 'invalidSyntax',
        detail: /JSON object/,
      },
      {
        name: 'schemas without the PatchOp URN',
        run: () => applyPatch(USER_REGISTRY, ADA, { schemas: [URN.user], Operations: [] }, OPTIONS),
        scimType: 'invalidSyntax',
        detail: /PatchOp/,
      },
      {
        name: 'a body without Operations',
        run: () => applyPatch(USER_REGISTRY, ADA, { schemas: [URN.patchOp] }, OPTIONS),
        scimType: 'invalidSyntax',
        detail: /Operations/,
      },
      { name: 'an empty Operations array', run: () => patchUser([]), scimType: 'invalidValue', detail: /at least one/ },
      {
        name: 'members on a User',
        run: () => patchUser([{ op: 'add', path: 'members', value: [{ value: 'u' }] }]),
        scimType: 'invalidPath',
        detail: /'members'/,
      },
      {
        name: "a member's immutable sub-attribute",
        run: () =>
          applyPatch(
            GROUP_REGISTRY,
            GROUP,
            patchBody({ op: 'replace', path: 'members[value eq "u1"].display', value: 'x' }),
            OPTIONS,
          ),
        scimType: 'mutability',
        detail: `Attribute 'members.display' is immutable`,
      },
      {
        name: 'a member filter on an add',
        run: () =>
          applyPatch(
            GROUP_REGISTRY,
            GROUP,
            patchBody({ op: 'add', path: 'members[value eq "u1"]', value: { value: 'u1' } }),
            OPTIONS,
          ),
        scimType: 'invalidPath',
        detail: /only to remove/,
      },
      {
        name: 'a member filter on something other than value',
        run: () =>
          applyPatch(GROUP_REGISTRY, GROUP, patchBody({ op: 'remove', path: 'members[display eq "Ada"]' }), OPTIONS),
        scimType: 'invalidFilter',
        detail: /value eq/,
      },
      {
        name: 'a member without an id',
        run: () =>
          applyPatch(
            GROUP_REGISTRY,
            GROUP,
            patchBody({ op: 'add', path: 'members', value: [{ display: 'Ada' }] }),
            OPTIONS,
          ),
        scimType: 'invalidValue',
        detail: /'value'/,
      },
      {
        name: 'removing the required displayName of a group',
        run: () => applyPatch(GROUP_REGISTRY, GROUP, patchBody({ op: 'remove', path: 'displayName' }), OPTIONS),
        scimType: 'invalidValue',
        detail: 'displayName is required',
      },
    ];
    for (const { name, run, scimType, detail } of cases) {
      it(name, () => expectBadRequest(run, scimType, detail));
    }
  });

  describe('properties', () => {
    const text = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() !== '' && !s.includes(','));
    // Each path with where its value lives in a document.
    const ext = (urn: string) => (d: Record<string, any>) => d[urn] ?? {};
    const subAttributePaths = fc.constantFrom<[string, (d: Record<string, any>) => unknown]>(
      ['name.givenName', (d) => d.name?.givenName],
      ['NAME.middleName', (d) => d.name?.middleName],
      ['title', (d) => d.title],
      ['emails[type eq "work"].value', (d) => d.emails?.find((e: any) => e.type === 'work')?.value],
      ['addresses[type eq "home"].locality', (d) => d.addresses?.find((a: any) => a.type === 'home')?.locality],
      [`${URN.enterprise}:costCenter`, (d) => ext(URN.enterprise)(d).costCenter],
      [`${URN.enterprise}:manager.value`, (d) => ext(URN.enterprise)(d).manager?.value],
      [`${URN.systam}:primaryWorkspace`, (d) => ext(URN.systam)(d).primaryWorkspace],
      [`${URN.metadata}:note`, (d) => ext(URN.metadata)(d).note],
    );

    it('add then remove of the same path returns a document without that attribute', () => {
      fc.assert(
        fc.property(subAttributePaths, text, ([path, read], value) => {
          const added = patchUser([{ op: 'add', path, value }]);
          expect(read(added.document)).to.equal(value);
          const removed = applyPatch(USER_REGISTRY, added.document, patchBody({ op: 'remove', path }), OPTIONS);
          expect(read(removed.document)).to.equal(undefined);
          const again = applyPatch(USER_REGISTRY, removed.document, patchBody({ op: 'remove', path }), OPTIONS);
          expect(again.changed, 'a second remove finds nothing left').to.equal(false);
        }),
      );
    });

    it('a replace with the values already there is idempotent and changes nothing', () => {
      const current = fc.constantFrom<[string, unknown]>(
        ['userName', 'ada'],
        ['active', 'True'],
        ['name', { givenName: 'Ada' }],
        ['emails', ADA.emails],
        [`${URN.enterprise}:manager`, 'm-1'],
        ['emails[type eq "home"].value', 'ada@home'],
      );
      fc.assert(
        fc.property(fc.array(current, { minLength: 1, maxLength: 4 }), fc.boolean(), (pairs, pathLess) => {
          const operations = pathLess
            ? [{ op: 'Replace', value: Object.fromEntries(pairs) }]
            : pairs.map(([path, value]) => ({ op: 'Replace', path, value }));
          const once = patchUser(operations);
          expect(once.changed).to.equal(false);
          expect(once.document).to.deep.equal(ADA);
          expect(applyPatch(USER_REGISTRY, once.document, patchBody(...operations), OPTIONS).document).to.deep.equal(
            once.document,
          );
        }),
      );
    });
  });
});
