import { randomBytes } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import { URN } from './schemas/urns.js';
import type { StoredUser } from './types.js';

/**
 * Microsoft Entra's bulk-create template (Users → Bulk operations → Bulk create): a version line,
 * then these column headings, one user per row. The bracketed names are the Graph properties.
 */
export const ENTRA_BULK_CREATE_VERSION = 'version:v1.0';
export const ENTRA_BULK_CREATE_COLUMNS = [
  'Name [displayName] Required', 'User name [userPrincipalName] Required', 'Initial password [passwordProfile] Required',
  'Block sign in (Yes/No) [accountEnabled] Required', 'First name [givenName]', 'Last name [surname]', 'Job title [jobTitle]',
  'Department [department]', 'Usage location [usageLocation]', 'Street address [streetAddress]', 'State or province [state]',
  'Country or region [country]', 'Office [physicalDeliveryOfficeName]', 'City [city]', 'ZIP or postal code [postalCode]',
  'Office phone [telephoneNumber]', 'Mobile phone [mobile]',
] as const;

type Doc = Record<string, unknown>;
const object = (v: unknown): Doc => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Doc) : {});
const list = (v: unknown): Doc[] => (Array.isArray(v) ? v.map(object) : []);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The value of the given type, else the primary one, else the first. */
function pick(values: Doc[], type: string): Doc {
  return values.find((v) => v.type === type) ?? values.find((v) => v.primary === true) ?? values[0] ?? {};
}

/**
 * A one-time password for the required column: Entra asks the user to change it at first sign-in.
 * 16 random bytes in base64url (upper, lower, digits) plus a symbol meet Entra's complexity rule.
 */
export function initialPassword(): string {
  return `${randomBytes(16).toString('base64url')}!`;
}

function row(user: StoredUser, password: string): string[] {
  const d = user.document;
  const name = object(d.name);
  const phones = list(d.phoneNumbers);
  const address = pick(list(d.addresses), 'work');
  const enterprise = object(d[URN.enterprise]);
  const displayName = user.displayName ?? ([text(name.givenName), text(name.familyName)].filter(Boolean).join(' ') || user.userName);
  const phone = (type: string) => text(phones.find((p) => p.type === type)?.value);
  return [
    displayName, user.userName, password, user.active ? 'No' : 'Yes',
    text(name.givenName), text(name.familyName), text(d.title), text(enterprise.department), '',
    text(address.streetAddress), text(address.region), text(address.country), text(address.formatted),
    text(address.locality), text(address.postalCode), phone('work'), phone('mobile'),
  ];
}

/** The CSV Entra's bulk create takes, for these users; each row gets its own initial password. */
export function entraBulkCreateCsv(users: StoredUser[], password: () => string = initialPassword): string {
  return `${ENTRA_BULK_CREATE_VERSION}\n${stringify([[...ENTRA_BULK_CREATE_COLUMNS], ...users.map((u) => row(u, password()))])}`;
}
