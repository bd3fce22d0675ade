import { URN } from './schemas/urns.js';
import type { StoredUser } from './types.js';
import { primaryEmail } from './validate/normalize.js';

/**
 * A platform user as Microsoft Entra's user properties (the Graph names): the one mapping behind
 * both the bulk-create CSV (entra-bulk-csv.ts) and the Graph push (`POST /users`).
 */
export interface EntraUserProperties {
  displayName: string;
  userPrincipalName: string;
  accountEnabled: boolean;
  givenName: string;
  surname: string;
  jobTitle: string;
  department: string;
  mail: string;
  streetAddress: string;
  state: string;
  country: string;
  officeLocation: string;
  city: string;
  postalCode: string;
  /** Entra's "Office phone": Graph's businessPhones takes one. */
  businessPhone: string;
  mobilePhone: string;
}

type Doc = Record<string, unknown>;
const object = (v: unknown): Doc => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Doc) : {});
const list = (v: unknown): Doc[] => (Array.isArray(v) ? v.map(object) : []);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The value of the given type, else the primary one, else the first. */
function pick(values: Doc[], type: string): Doc {
  return values.find((v) => v.type === type) ?? values.find((v) => v.primary === true) ?? values[0] ?? {};
}

/** Empty strings where the user has no value: the CSV leaves the cell empty, the push leaves the property out. */
export function entraUserProperties(user: StoredUser): EntraUserProperties {
  const d = user.document;
  const name = object(d.name);
  const phones = list(d.phoneNumbers);
  const address = pick(list(d.addresses), 'work');
  const enterprise = object(d[URN.enterprise]);
  const phone = (type: string) => text(phones.find((p) => p.type === type)?.value);
  return {
    displayName:
      user.displayName ?? ([text(name.givenName), text(name.familyName)].filter(Boolean).join(' ') || user.userName),
    userPrincipalName: user.userName,
    accountEnabled: user.active,
    givenName: text(name.givenName),
    surname: text(name.familyName),
    jobTitle: text(d.title),
    department: text(enterprise.department),
    mail: primaryEmail(d) ?? '',
    streetAddress: text(address.streetAddress),
    state: text(address.region),
    country: text(address.country),
    officeLocation: text(address.formatted),
    city: text(address.locality),
    postalCode: text(address.postalCode),
    businessPhone: phone('work'),
    mobilePhone: phone('mobile'),
  };
}

/**
 * Graph's mailNickname (required on create): the UPN's local part without the characters Entra
 * refuses there (spaces, @ ( ) \ [ ] " ; : < > ,), at most 64 characters.
 */
export function mailNickname(userPrincipalName: string): string {
  const local = userPrincipalName
    .split('@')[0]
    .replace(/[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]/g, '')
    .replace(/^\.+|\.+$/g, '')
    .slice(0, 64);
  return local || 'user';
}

/**
 * The body of Graph's `POST /users` for this user: the required accountEnabled, displayName,
 * mailNickname, userPrincipalName and passwordProfile (a one-time password Entra makes the user
 * change at first sign-in), then every optional property the user has a value for.
 */
export function graphCreateUserBody(user: StoredUser, password: string): Record<string, unknown> {
  const { businessPhone, ...p } = entraUserProperties(user);
  const optional = Object.fromEntries(
    (
      [
        'givenName',
        'surname',
        'jobTitle',
        'department',
        'mail',
        'streetAddress',
        'state',
        'country',
        'officeLocation',
        'city',
        'postalCode',
        'mobilePhone',
      ] as const
    )
      .filter((key) => p[key] !== '')
      .map((key) => [key, p[key]]),
  );
  return {
    accountEnabled: p.accountEnabled,
    displayName: p.displayName,
    mailNickname: mailNickname(p.userPrincipalName),
    userPrincipalName: p.userPrincipalName,
    passwordProfile: { forceChangePasswordNextSignIn: true, password },
    ...optional,
    ...(businessPhone ? { businessPhones: [businessPhone] } : {}),
  };
}
