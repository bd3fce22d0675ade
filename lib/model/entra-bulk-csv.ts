import { randomBytes } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import { entraUserProperties } from './entra-user.js';
import type { StoredUser } from './types.js';

/**
 * Microsoft Entra's bulk-create template (Users → Bulk operations → Bulk create): a version line,
 * then these column headings, one user per row. The bracketed names are the Graph properties.
 */
export const ENTRA_BULK_CREATE_VERSION = 'version:v1.0';
/**
 * The column headings of Entra's bulk-create template, in its order (after the {@link ENTRA_BULK_CREATE_VERSION}
 * line); the export writes one platform user per row under them.
 */
export const ENTRA_BULK_CREATE_COLUMNS = [
  'Name [displayName] Required',
  'User name [userPrincipalName] Required',
  'Initial password [passwordProfile] Required',
  'Block sign in (Yes/No) [accountEnabled] Required',
  'First name [givenName]',
  'Last name [surname]',
  'Job title [jobTitle]',
  'Department [department]',
  'Usage location [usageLocation]',
  'Street address [streetAddress]',
  'State or province [state]',
  'Country or region [country]',
  'Office [physicalDeliveryOfficeName]',
  'City [city]',
  'ZIP or postal code [postalCode]',
  'Office phone [telephoneNumber]',
  'Mobile phone [mobile]',
] as const;

/**
 * A one-time password for the required column: Entra asks the user to change it at first sign-in.
 * 16 random bytes in base64url (upper, lower, digits) plus a symbol meet Entra's complexity rule.
 */
export function initialPassword(): string {
  return `${randomBytes(16).toString('base64url')}!`;
}

function row(user: StoredUser, password: string): string[] {
  const p = entraUserProperties(user);
  return [
    p.displayName,
    p.userPrincipalName,
    password,
    p.accountEnabled ? 'No' : 'Yes',
    p.givenName,
    p.surname,
    p.jobTitle,
    p.department,
    '',
    p.streetAddress,
    p.state,
    p.country,
    p.officeLocation,
    p.city,
    p.postalCode,
    p.businessPhone,
    p.mobilePhone,
  ];
}

/** The CSV Entra's bulk create takes, for these users; each row gets its own initial password. */
export function entraBulkCreateCsv(users: StoredUser[], password: () => string = initialPassword): string {
  return `${ENTRA_BULK_CREATE_VERSION}\n${stringify([[...ENTRA_BULK_CREATE_COLUMNS], ...users.map((u) => row(u, password()))])}`;
}
