import { expectBadRequest } from '../support/scim-error.js';
import { MAX_IDENTIFIER_BYTES, MAX_IDENTIFIER_LENGTH, MAX_VALUE_BYTES } from '../../lib/model/limits.js';
import { expect } from 'chai';
import fc from 'fast-check';
import { GROUP_REGISTRY, USER_REGISTRY } from '../../lib/model/schemas/registry.js';
import { URN } from '../../lib/model/schemas/urns.js';
import { ajvSchemaFor } from '../../lib/model/validate/ajv-schema.js';
import { normalizeResource, type NormalizeOptions } from '../../lib/model/validate/normalize.js';

const OPTIONS: NormalizeOptions = { allowExtensionPassthrough: false, acceptPassword: false, mode: 'create' };
const user = (body: Record<string, unknown>, options: Partial<NormalizeOptions> = {}) =>
  normalizeResource(USER_REGISTRY, { userName: 'ada', ...body }, { ...OPTIONS, ...options });

describe('normalizeResource', () => {
  describe('accepts and canonicalises', () => {
    const cases: Array<{
      name: string;
      body: Record<string, unknown>;
      options?: Partial<NormalizeOptions>;
      expected: Record<string, unknown>;
    }> = [
      {
        name: 'attribute and sub-attribute names in any case become the schema spelling (RFC 7643 §2.1)',
        body: {
          USERNAME: 'ada',
          Name: { GivenName: 'Ada', familyname: 'Lovelace' },
          Emails: [{ Value: 'ada@x', Primary: true, TYPE: 'work' }],
        },
        expected: {
          userName: 'ada',
          name: { givenName: 'Ada', familyName: 'Lovelace' },
          emails: [{ value: 'ada@x', primary: true, type: 'work' }],
        },
      },
      {
        name: 'an extension as a URN key holding an object keeps the canonical URN and names',
        body: {
          'URN:IETF:params:scim:schemas:extension:enterprise:2.0:user': {
            Department: 'R&D',
            Manager: { Value: 'm-1' },
          },
        },
        expected: { userName: 'ada', [URN.enterprise]: { department: 'R&D', manager: { value: 'm-1' } } },
      },
      {
        name: 'flat URN-qualified extension keys join the nested form',
        body: {
          [URN.enterprise]: { department: 'R&D' },
          [`${URN.enterprise}:costCenter`]: 'C1',
          [`${URN.enterprise}:manager.value`]: 'm-1',
        },
        expected: {
          userName: 'ada',
          [URN.enterprise]: { department: 'R&D', costCenter: 'C1', manager: { value: 'm-1' } },
        },
      },
      {
        name: 'read-only attributes (id, meta, groups, manager.displayName) are dropped silently',
        body: {
          id: 'x',
          meta: { resourceType: 'User' },
          groups: [{ value: 'g' }],
          [URN.enterprise]: { manager: { value: 'm', displayName: 'Boss' } },
        },
        expected: { userName: 'ada', [URN.enterprise]: { manager: { value: 'm' } } },
      },
      {
        name: 'unknown core attributes are ignored (Microsoft validator PUTs "adreses")',
        body: { adreses: [{ street: 'x' }], nickName: 'A' },
        expected: { userName: 'ada', nickName: 'A' },
      },
      {
        name: 'Entra string booleans become booleans for active and primary',
        body: { active: 'False', emails: [{ value: 'a@x', primary: 'True' }] },
        expected: { userName: 'ada', active: false, emails: [{ value: 'a@x', primary: true }] },
      },
      {
        name: 'null and empty strings mean absent, also inside addresses',
        body: {
          title: null,
          nickName: '',
          addresses: [{ type: 'work', locality: 'Bergen', region: null, postalCode: '' }],
        },
        expected: { userName: 'ada', addresses: [{ type: 'work', locality: 'Bergen' }] },
      },
      {
        name: 'manager given as a bare id string becomes {value}',
        body: { [`${URN.enterprise}:manager`]: 'm-7' },
        expected: { userName: 'ada', [URN.enterprise]: { manager: { value: 'm-7' } } },
      },
      {
        name: 'comma-separated folders become a trimmed list',
        body: { [URN.customExtension]: { folders: 'Folder 1, Folder 2 ,' } },
        expected: { userName: 'ada', [URN.customExtension]: { folders: ['Folder 1', 'Folder 2'] } },
      },
      {
        name: 'a single object for a multi-valued attribute is wrapped in a list',
        body: { phoneNumbers: { value: '+47 1', type: 'mobile' } },
        expected: { userName: 'ada', phoneNumbers: [{ value: '+47 1', type: 'mobile' }] },
      },
      {
        name: 'the open Metadata schema takes any key and stores numbers and booleans as strings',
        body: { [URN.metadata]: { badge: 42, Visitor: true, note: 'x' } },
        expected: { userName: 'ada', [URN.metadata]: { badge: '42', Visitor: 'true', note: 'x' } },
      },
      {
        name: 'password is dropped unless accepted',
        body: { password: 's3cret' },
        expected: { userName: 'ada' },
      },
      {
        name: 'password is kept for the caller to hash when accepted',
        body: { password: 's3cret' },
        options: { acceptPassword: true },
        expected: { userName: 'ada', password: 's3cret' },
      },
      {
        name: 'an undeclared extension is kept as sent with passthrough',
        body: { 'urn:example:ext:1.0:Thing': { colour: 'blue' } },
        options: { allowExtensionPassthrough: true },
        expected: { userName: 'ada', 'urn:example:ext:1.0:Thing': { colour: 'blue' } },
      },
    ];
    for (const { name, body, options, expected } of cases) {
      it(name, () => {
        const { schemas: _schemas, ...attributes } = user(body, options);
        expect(attributes).to.deep.equal(expected);
      });
    }
  });

  it('recomputes schemas from the extensions present, ignoring the declared list', () => {
    const document = user({
      schemas: [URN.user, URN.systam, 'urn:bogus'],
      [URN.enterprise]: { department: 'x' },
      [URN.customExtension]: { folders: null },
    });
    expect(document.schemas).to.deep.equal([URN.user, URN.enterprise]);
  });

  it('normalises a Group with its members', () => {
    const document = normalizeResource(
      GROUP_REGISTRY,
      { DisplayName: 'Staff', members: [{ Value: 'u1', display: 'Ada' }], id: 'g' },
      OPTIONS,
    );
    expect(document).to.deep.equal({
      schemas: [URN.group],
      displayName: 'Staff',
      members: [{ value: 'u1', display: 'Ada' }],
    });
  });

  describe('refuses', () => {
    const cases: Array<{ name: string; run: () => unknown; scimType: string; detail: string | RegExp }> = [
      {
        name: 'a body that is not an object (invalidSyntax)',
        run: () => normalizeResource(USER_REGISTRY, ['x'], OPTIONS),
        scimType: 'invalidSyntax',
        detail: /JSON object/,
      },
      {
        name: 'a User without userName',
        run: () => normalizeResource(USER_REGISTRY, { displayName: 'x' }, OPTIONS),
        scimType: 'invalidValue',
        detail: 'userName is required',
      },
      {
        name: 'a User whose userName is empty',
        run: () => user({ userName: '' }),
        scimType: 'invalidValue',
        detail: 'userName is required',
      },
      {
        name: 'a Group without displayName',
        run: () => normalizeResource(GROUP_REGISTRY, { members: [] }, OPTIONS),
        scimType: 'invalidValue',
        detail: 'displayName is required',
      },
      {
        name: 'a non-boolean primary, naming the element',
        run: () => user({ emails: [{ value: 'a', primary: 'yes' }] }),
        scimType: 'invalidValue',
        detail: `Attribute 'emails[0].primary' must be boolean`,
      },
      {
        name: 'a non-boolean active',
        run: () => user({ active: 'maybe' }),
        scimType: 'invalidValue',
        detail: `Attribute 'active' must be boolean`,
      },
      {
        name: 'a string for a complex attribute without a value sub-attribute',
        run: () => user({ name: 'Ada' }),
        scimType: 'invalidValue',
        detail: `Attribute 'name' must be an object`,
      },
      {
        name: 'a wrong type inside an extension, naming the URN path',
        run: () => user({ [URN.enterprise]: { manager: { value: 7 } } }),
        scimType: 'invalidValue',
        detail: `Attribute '${URN.enterprise}:manager.value' must be string`,
      },
      {
        name: 'an object as a Metadata value',
        run: () => user({ [URN.metadata]: { nested: { a: 1 } } }),
        scimType: 'invalidValue',
        detail: `Attribute '${URN.metadata}:nested' must be string`,
      },
      {
        name: 'two primary values of one attribute',
        run: () =>
          user({
            emails: [
              { value: 'a', primary: true },
              { value: 'b', primary: 'True' },
            ],
          }),
        scimType: 'invalidValue',
        detail: `At most one value of 'emails' may be primary`,
      },
      {
        name: 'an attribute of an undeclared extension, naming it',
        run: () => user({ 'urn:example:ext:1.0:Thing:colour': 'blue' }),
        scimType: 'invalidValue',
        detail: /'urn:example:ext:1\.0:Thing:colour'/,
      },
      {
        name: 'an extension URN key whose value is not an object',
        run: () => user({ [URN.enterprise]: 'R&D' }),
        scimType: 'invalidValue',
        detail: /must be an object of attributes/,
      },
    ];
    for (const { name, run, scimType, detail } of cases) {
      it(name, () => expectBadRequest(run, scimType, detail));
    }
  });

  describe('ajvSchemaFor', () => {
    it('is derived from the schema definitions', () => {
      const schema = ajvSchemaFor(USER_REGISTRY);
      const writable = [
        ...USER_REGISTRY.core.attributes.filter((a) => a.mutability !== 'readOnly').map((a) => a.name),
        'externalId',
        'schemas',
      ];
      expect(Object.keys(schema.properties).filter((k) => !k.startsWith('urn:'))).to.have.members(writable);
      expect(schema.properties).to.not.have.any.keys('id', 'meta', 'groups');
      expect(schema.required).to.deep.equal(['userName']);
      expect(schema.properties.emails.items.properties.primary).to.deep.equal({ type: 'boolean' });
      expect(schema.properties[URN.enterprise].properties.manager.properties).to.have.keys('value', '$ref');
      expect(schema.properties[URN.enterprise].additionalProperties).to.equal(false);
      expect(schema.properties[URN.metadata].additionalProperties).to.deep.equal({
        type: 'string',
        maxBytes: MAX_VALUE_BYTES,
      });
      expect(schema.properties[URN.customExtension].properties.folders).to.deep.equal({
        type: 'array',
        items: { type: 'string', maxBytes: MAX_VALUE_BYTES },
      });
      expect(schema.properties.userName).to.deep.equal({
        type: 'string',
        maxLength: MAX_IDENTIFIER_LENGTH,
        maxBytes: MAX_IDENTIFIER_BYTES,
      });
      expect(ajvSchemaFor(GROUP_REGISTRY).required).to.deep.equal(['displayName']);
    });
  });

  describe('properties', () => {
    const anyCase = (name: string) => fc.constantFrom(name, name.toUpperCase(), name.toLowerCase());
    const lenientUser = fc.record({
      userName: fc.string({ minLength: 1 }),
      active: fc.constantFrom(true, false, 'True', 'false', null),
      title: fc.option(fc.string(), { nil: null }),
      emails: fc.array(
        fc.record({
          value: fc.string(),
          type: fc.constantFrom('work', 'home', ''),
          primary: fc.constantFrom(false, 'False', null),
        }),
      ),
      folders: fc.array(fc.stringMatching(/^[A-Za-z0-9 ]{0,8}$/)).map((parts) => parts.join(',')),
    });

    it('normalising twice gives the same document as normalising once, whatever the key case', () => {
      fc.assert(
        fc.property(lenientUser, anyCase('userName'), anyCase('emails'), (fields, userNameKey, emailsKey) => {
          const body = {
            [userNameKey]: fields.userName,
            active: fields.active,
            title: fields.title,
            [emailsKey]: fields.emails,
            [`${URN.customExtension}:folders`]: fields.folders,
          };
          const once = normalizeResource(USER_REGISTRY, body, OPTIONS);
          expect(normalizeResource(USER_REGISTRY, once, OPTIONS)).to.deep.equal(once);
        }),
      );
    });
  });
});
