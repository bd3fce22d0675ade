import { attr, complex, multiValued } from './define.js';
import type { AttributeDef, ResourceTypeDef, SchemaDef } from './types.js';
import { URN } from './urns.js';

/** RFC 7643 §3.1: attributes every resource has, outside any schema's attribute list. */
export const COMMON_ATTRIBUTES: AttributeDef[] = [
  attr('id', 'string', 'A unique identifier for a SCIM resource as defined by the service provider.', {
    caseExact: true,
    mutability: 'readOnly',
    returned: 'always',
    uniqueness: 'server',
  }),
  attr('externalId', 'string', 'An identifier for the resource as defined by the provisioning client.', {
    caseExact: true,
  }),
  complex(
    'meta',
    'A complex attribute containing resource metadata.',
    [
      attr('resourceType', 'string', 'The name of the resource type of the resource.', {
        caseExact: true,
        mutability: 'readOnly',
      }),
      attr('created', 'dateTime', 'The DateTime that the resource was added to the service provider.', {
        mutability: 'readOnly',
      }),
      attr('lastModified', 'dateTime', 'The most recent DateTime that the details of this resource were updated.', {
        mutability: 'readOnly',
      }),
      attr('location', 'reference', 'The URI of the resource being returned.', {
        caseExact: true,
        mutability: 'readOnly',
        referenceTypes: ['uri'],
      }),
      attr('version', 'string', 'The version of the resource being returned.', {
        caseExact: true,
        mutability: 'readOnly',
      }),
    ],
    { mutability: 'readOnly' },
  ),
];

/**
 * Names at the resource's own level (RFC 7643 §3: `schemas` and the common attributes). A key of
 * an open extension (Metadata) or an attribute of a host-defined one may not take one: it would
 * read back beside, or in place of, the resource's own `id`, `meta` or `schemas`.
 */
export const RESOURCE_LEVEL_NAMES: readonly string[] = ['schemas', ...COMMON_ATTRIBUTES.map((a) => a.name)];

/** Whether `name` is one of RESOURCE_LEVEL_NAMES, in any letter case (RFC 7643 §2.1). */
export const isResourceLevelName = (name: string): boolean =>
  RESOURCE_LEVEL_NAMES.some((n) => n.toLowerCase() === name.toLowerCase());

const reference = (name: string, description: string, referenceTypes: string[], options: Partial<AttributeDef> = {}) =>
  attr(name, 'reference', description, { referenceTypes, ...options });

/**
 * The core User schema, `urn:ietf:params:scim:schemas:core:2.0:User` (RFC 7643 §4.1, §8.7.1), as data: it drives
 * validation, `/Schemas` and the serializers.
 */
export const USER_SCHEMA: SchemaDef = {
  id: URN.user,
  name: 'User',
  description: 'User Account',
  attributes: [
    attr(
      'userName',
      'string',
      'Unique identifier for the User, typically used by the user to directly authenticate to the service provider.',
      { required: true, uniqueness: 'server' },
    ),
    complex('name', `The components of the user's real name.`, [
      attr(
        'formatted',
        'string',
        'The full name, including all middle names, titles, and suffixes as appropriate, formatted for display.',
      ),
      attr('familyName', 'string', 'The family name of the User, or last name in most Western languages.'),
      attr('givenName', 'string', 'The given name of the User, or first name in most Western languages.'),
      attr('middleName', 'string', 'The middle name(s) of the User.'),
      attr('honorificPrefix', 'string', 'The honorific prefix(es) of the User, or title in most Western languages.'),
      attr('honorificSuffix', 'string', 'The honorific suffix(es) of the User, or suffix in most Western languages.'),
    ]),
    attr('displayName', 'string', 'The name of the User, suitable for display to end-users.'),
    attr('nickName', 'string', 'The casual way to address the user in real life.'),
    reference('profileUrl', `A fully qualified URL pointing to a page representing the User's online profile.`, [
      'external',
    ]),
    attr('title', 'string', `The user's title, such as "Vice President".`),
    attr('userType', 'string', 'Used to identify the relationship between the organization and the user.'),
    attr('preferredLanguage', 'string', `Indicates the User's preferred written or spoken language.`),
    attr(
      'locale',
      'string',
      `Used to indicate the User's default location for purposes of localizing items such as currency, date time format, or numerical representations.`,
    ),
    attr('timezone', 'string', `The User's time zone in the 'Olson' time zone database format.`),
    attr('active', 'boolean', `A Boolean value indicating the User's administrative status.`),
    attr('password', 'string', `The User's cleartext password, used to set or change it; never returned.`, {
      mutability: 'writeOnly',
      returned: 'never',
    }),
    multiValued('emails', 'Email addresses for the user.', ['work', 'home', 'other']),
    multiValued('phoneNumbers', 'Phone numbers for the User.', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
    multiValued('ims', 'Instant messaging addresses for the User.', [
      'aim',
      'gtalk',
      'icq',
      'xmpp',
      'msn',
      'skype',
      'qq',
      'yahoo',
    ]),
    multiValued('photos', 'URLs of photos of the User.', ['photo', 'thumbnail'], { valueType: 'reference' }),
    complex(
      'addresses',
      'A physical mailing address for this User.',
      [
        attr('formatted', 'string', 'The full mailing address, formatted for display or use with a mailing label.'),
        attr('streetAddress', 'string', 'The full street address component.'),
        attr('locality', 'string', 'The city or locality component.'),
        attr('region', 'string', 'The state or region component.'),
        attr('postalCode', 'string', 'The zip code or postal code component.'),
        attr('country', 'string', 'The country name component.'),
        attr('type', 'string', `A label indicating the attribute's function.`, {
          canonicalValues: ['work', 'home', 'other'],
        }),
        attr('primary', 'boolean', 'A Boolean value indicating the preferred address.'),
      ],
      { multiValued: true },
    ),
    complex(
      'groups',
      'A list of groups to which the user belongs.',
      [
        attr('value', 'string', `The identifier of the User's group.`, { mutability: 'readOnly' }),
        reference('$ref', `The URI of the corresponding 'Group' resource.`, ['Group'], { mutability: 'readOnly' }),
        attr('display', 'string', 'A human-readable name, primarily used for display purposes.', {
          mutability: 'readOnly',
        }),
        attr('type', 'string', 'A label indicating the membership: direct.', {
          mutability: 'readOnly',
          canonicalValues: ['direct', 'indirect'],
        }),
      ],
      { multiValued: true, mutability: 'readOnly' },
    ),
    multiValued('entitlements', 'A list of entitlements for the User.', []),
    multiValued('roles', `A list of roles for the User; the primary one sets the user's web access role.`, []),
    multiValued('x509Certificates', 'A list of certificates issued to the User.', [], { valueType: 'binary' }),
  ],
};

/**
 * The Enterprise User extension, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User` (RFC 7643 §4.3):
 * employeeNumber, department, manager, … as Entra maps them.
 */
export const ENTERPRISE_SCHEMA: SchemaDef = {
  id: URN.enterprise,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    attr(
      'employeeNumber',
      'string',
      'Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization.',
    ),
    attr('costCenter', 'string', 'Identifies the name of a cost center.'),
    attr('organization', 'string', 'Identifies the name of an organization.'),
    attr('division', 'string', 'Identifies the name of a division.'),
    attr('department', 'string', 'Identifies the name of a department.'),
    complex('manager', `The User's manager.`, [
      attr('value', 'string', "The id of the SCIM resource representing the User's manager."),
      reference('$ref', "The URI of the SCIM resource representing the User's manager.", ['User']),
      attr('displayName', 'string', "The displayName of the User's manager.", { mutability: 'readOnly' }),
    ]),
  ],
};

/**
 * The modelled platform's extension carrying the multi-valued `folders` attribute (Entra sends a comma-separated list).
 */
export const CUSTOM_EXTENSION_SCHEMA: SchemaDef = {
  id: URN.customExtension,
  name: 'CustomExtension',
  description: 'Folders the user can access (Entra sends a comma-separated list).',
  attributes: [attr('folders', 'string', 'Folder names.', { multiValued: true })],
};

/** An open extension: any key is accepted and stored as a single string (the modelled platform's per-key metadata). */
export const METADATA_SCHEMA: SchemaDef = {
  id: URN.metadata,
  name: 'Metadata',
  description: 'Free-form per-key user metadata; every value is stored as a string.',
  attributes: [],
  open: true,
};

/** Systam's extension with `primaryWorkspace`, the attribute the default workspace mapping reads. */
export const SYSTAM_SCHEMA: SchemaDef = {
  id: URN.systam,
  name: 'SystamUser',
  description: 'The workspace a visitor host belongs to.',
  attributes: [attr('primaryWorkspace', 'string', "The name or id of the user's primary workspace.")],
};

/** The core Group schema, `urn:ietf:params:scim:schemas:core:2.0:Group` (RFC 7643 §4.2): displayName and members. */
export const GROUP_SCHEMA: SchemaDef = {
  id: URN.group,
  name: 'Group',
  description: 'Group',
  attributes: [
    attr('displayName', 'string', 'A human-readable name for the Group.', { required: true, uniqueness: 'server' }),
    complex(
      'members',
      'A list of members of the Group.',
      [
        attr('value', 'string', 'Identifier of the member of this Group.', { mutability: 'immutable' }),
        reference('$ref', 'The URI corresponding to a SCIM resource that is a member of this Group.', ['User'], {
          mutability: 'immutable',
        }),
        attr('display', 'string', 'A human-readable name for the member.', { mutability: 'immutable' }),
        attr('type', 'string', 'A label indicating the type of resource.', {
          mutability: 'immutable',
          canonicalValues: ['User'],
        }),
      ],
      { multiValued: true },
    ),
  ],
};

/** Every built-in User extension; a registry without a connector's own list accepts all of them. */
export const USER_EXTENSIONS = [ENTERPRISE_SCHEMA, CUSTOM_EXTENSION_SCHEMA, METADATA_SCHEMA, SYSTAM_SCHEMA];

/**
 * The resource types `/ResourceTypes` serves (RFC 7643 §6), before a connector's settings narrow them (no Group
 * when `groupsEnabled` is false; only its declared extensions).
 */
export const RESOURCE_TYPES: ResourceTypeDef[] = [
  {
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    description: 'User Account',
    schema: URN.user,
    schemaExtensions: USER_EXTENSIONS.map((s) => ({ schema: s.id, required: false })),
  },
  { id: 'Group', name: 'Group', endpoint: '/Groups', description: 'Group', schema: URN.group, schemaExtensions: [] },
];
