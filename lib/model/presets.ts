import type { HostExtension } from './schemas/extension-sets.js';
import type { ConnectorSettings } from './types.js';

/**
 * Named settings bundles, one per platform guide the product serves (README, "guides"): a
 * connector created from a preset behaves as that guide describes. Configuration, not code —
 * a preset is settings, the guide's attribute mapping (what the Entra mapping sheet suggests,
 * model/entra-mapping-sheet.ts) and what an admin still sets on the admin page or with the CLI.
 */
export interface Preset {
  /** The platform as the README names it. */
  platform: string;
  settings: Partial<ConnectorSettings>;
  /**
   * The guide's attribute mapping, in its order: Entra's target attribute → the source the guide
   * suggests (null: the guide names the target but leaves the source to the admin).
   */
  mapping: Array<[target: string, source: string | null]>;
  /** What a preset cannot set because it names the organization's own data: done on the admin page (or CLI). */
  adminSteps: string[];
}

/** Entra's expression for `active` that every guide uses. */
const ACTIVE_FROM_SOFT_DELETE = 'Switch([IsSoftDeleted], , "False", "True", "True", "False")';

/**
 * IFS Ultimo's `site`: "There is no default Microsoft Entra ID property mapped for this." The
 * preset gives it a home, an extension attribute Entra's attribute list takes by this exact name.
 */
export const ULTIMO_EXTENSION: HostExtension = {
  id: 'urn:ietf:params:scim:schemas:extension:ultimo:2.0:User',
  name: 'UltimoUser',
  description: 'IFS Ultimo: the site a user belongs to.',
  attributes: [{ name: 'site', type: 'string', description: "The user's site in Ultimo." }],
};

/**
 * The settings bundle of each platform guide, by preset name (`systam`, `staffbase`, …): what
 * `connector create --preset` and the admin page apply, with the guide's Entra mapping table and admin steps.
 */
export const PRESETS: Record<string, Preset> = {
  systam: {
    platform: 'Systam',
    settings: {
      // Disabled or removed in Entra = deleted in Systam; no soft delete.
      deleteMode: 'delete',
      onDeactivate: 'delete',
      matchOnCreate: 'email',
      extensions: ['primaryWorkspace'],
      // "A work-type email address is required"; "a work-type phone number is required if phone numbers are mapped".
      requiredAttributes: [
        'emails[type eq "work"].value',
        { path: 'phoneNumbers[type eq "work"].value', ifSent: 'phoneNumbers' },
      ],
      allowedValues: { 'emails.type': ['work', 'other'], 'phoneNumbers.type': ['work', 'other'] },
      // "The work email address is always the user's primary email", the work phone the primary number.
      primaryByType: { emails: 'work', phoneNumbers: 'work' },
      // Step 6: the primaryWorkspace attribute first, then groups, then the fallback; the mappings name the host's workspaces.
      workspaces: {
        attribute: 'urn:ietf:params:scim:schemas:extension:systam:2.0:User:primaryWorkspace',
        values: {},
        groups: {},
        fallback: null,
        sync: 'primary',
      },
    },
    mapping: [
      ['userName', 'userPrincipalName'],
      ['active', ACTIVE_FROM_SOFT_DELETE],
      ['name.givenName', 'givenName'],
      ['name.familyName', 'surname'],
      ['emails[type eq "work"].value', 'Coalesce(mail, userPrincipalName)'],
      ['emails[type eq "other"].value', 'first([otherMails])'],
      ['phoneNumbers[type eq "work"].value', 'mobile'],
      ['phoneNumbers[type eq "other"].value', 'telephoneNumber'],
      ['preferredLanguage', 'preferredLanguage'],
      [
        'urn:ietf:params:scim:schemas:extension:systam:2.0:User:primaryWorkspace',
        'a Constant such as "systam" (6.1), or department, officeLocation or an extension attribute (6.3)',
      ],
    ],
    adminSteps: [
      "Users section: Protect each Organization Owner (Entra's updates and deletes of them then answer 403)",
      "Workspaces section: add the organization's workspaces and choose Primary or All workspaces; map Step 6's values and group IDs to them in settings.workspaces (values, groups, fallback)",
    ],
  },
  staffbase: {
    platform: 'Staffbase',
    settings: {
      matchOnCreate: 'externalId',
      // The guide's mapping sends the UPN as externalId (matching precedence 1) and no userName.
      userNameFallback: 'externalId',
      // department and manager
      extensions: ['enterprise'],
      createOnlyAttributes: ['locale'],
      groupsEnabled: true,
      groupDisplayNamePrefix: '[SCIM] ',
      deleteMode: 'delete',
    },
    mapping: [
      ['externalId', 'userPrincipalName'],
      ['active', ACTIVE_FROM_SOFT_DELETE],
      ['title', 'jobTitle'],
      ['emails[type eq "work"].value', 'mail'],
      ['name.givenName', 'givenName'],
      ['name.familyName', 'surname'],
      ['addresses[type eq "work"].locality', 'city'],
      ['phoneNumbers[type eq "mobile"].value', 'mobile'],
      ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', 'department'],
      ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager', 'manager'],
      ['locale', 'preferredLanguage'],
    ],
    adminSteps: [],
  },
  'ifs-ultimo': {
    platform: 'IFS Ultimo',
    settings: {
      groupsEnabled: false,
      userNameImmutable: true,
      // employeeNumber, department, organization; site in Ultimo's own extension.
      extensions: ['enterprise', ULTIMO_EXTENSION],
      // "Only the preferred (primary = true) email of type work is stored"; phones: the primary work one wins.
      primaryByType: { emails: 'work', phoneNumbers: 'work' },
    },
    mapping: [
      ['userName', 'userPrincipalName'],
      ['active', ACTIVE_FROM_SOFT_DELETE],
      ['displayName', 'displayName'],
      ['title', 'jobTitle'],
      ['emails[type eq "work"].value', null],
      ['name.givenName', 'givenName'],
      ['name.familyName', 'surname'],
      ['phoneNumbers[type eq "work"].value', null],
      ['phoneNumbers[type eq "mobile"].value', null],
      ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber', null],
      ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', null],
      [
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization',
        'the office location (physicalDeliveryOfficeName)',
      ],
      [`${ULTIMO_EXTENSION.id}:site`, null],
    ],
    adminSteps: ['Groups section: create the group new users join; Default group section: choose it'],
  },
  'andmoney-bookme': {
    platform: '&Money BookMe',
    settings: { groupsEnabled: false, extensions: [] },
    mapping: [
      ['active', ACTIVE_FROM_SOFT_DELETE],
      ['userName', 'userPrincipalName'],
      ['displayName', 'displayName'],
      ['name.givenName', 'givenName (advisors only)'],
      ['name.familyName', 'surname (advisors only)'],
      ['addresses[type eq "work"].formatted', 'physicalDeliveryOfficeName'],
      ['externalId', 'objectId'],
    ],
    adminSteps: [
      'one connector per resource kind (advisors, rooms): settings scimEndpoint and resourceKind, and a token for each',
    ],
  },
  'modelled-platform': {
    platform: 'the modelled platform',
    settings: {
      groupsEnabled: true,
      // "Deactivating the user … will deactivate the user on our platform."
      deleteMode: 'deactivate',
      extensions: ['enterprise', 'folders', 'metadata'],
      requiredAttributes: ['name.givenName', 'name.familyName', 'emails'],
      // "Email (this must be unique per user since it is used as our username)".
      uniqueEmail: true,
      allowedValues: { userType: ['Premium', 'Standard'] },
      roleMap: { ReadOnly: 'ReadOnly', User: 'User', Admin: 'Admin', EnterpriseAdmin: 'EnterpriseAdmin' },
    },
    mapping: [
      ['userName', null],
      ['name.givenName', null],
      ['name.familyName', null],
      ['emails[type eq "work"].value', null],
      ['userType', 'Company name (any attribute), default value Premium or Standard'],
      [
        'urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName:folders',
        'Expression Split([SourceAttribute], ",")',
      ],
      ['urn:ietf:params:scim:schemas:extension:2.0:Metadata:{MetadataKey}', 'any attribute (Direct)'],
      ['roles', null],
    ],
    adminSteps: ['Single sign-on section: the directory (tenant) ID, application (client) ID and client secret'],
  },
};

/** The preset names {@link PRESETS} knows, for help texts and "did you mean" hints. */
export const PRESET_NAMES = Object.keys(PRESETS);

/** The preset of that name, or undefined (an inherited object key such as `constructor` is no preset). */
export function presetNamed(name: string): Preset | undefined {
  return Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
}
