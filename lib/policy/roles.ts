import { invalidValue } from '../scim/errors.js';
import type { ConnectorSettings, WebRole } from '../store/types.js';

export const WEB_ROLE_RANK: Record<WebRole, number> = { ReadOnly: 1, User: 2, Admin: 3, EnterpriseAdmin: 4 };

/**
 * The web access role from SCIM `roles` (Entra sends `{primary: "True", type:
 * "WindowsAzureActiveDirectoryRole", value: "Admin"}`): the primary entry wins, else the first.
 * No role means app login only (null). Values go through the connector's role map.
 */
export function webRoleFromRoles(roles: unknown, settings: ConnectorSettings): WebRole | null {
  if (!Array.isArray(roles) || roles.length === 0) return null;
  const entries = roles.filter((r): r is Record<string, unknown> => Boolean(r) && typeof r === 'object' && typeof (r as { value?: unknown }).value === 'string' && (r as { value: string }).value !== '');
  if (!entries.length) return null;
  const chosen = entries.find((r) => r.primary === true) ?? entries[0];
  const value = String(chosen.value);
  const mapped = lookup(settings.roleMap, value);
  if (!mapped) {
    throw invalidValue(`roles value "${value}" is not a web access role; allowed values: ${Object.keys(settings.roleMap).join(', ')}`);
  }
  return mapped;
}

function lookup(map: Record<string, WebRole>, value: string): WebRole | undefined {
  if (Object.hasOwn(map, value)) return map[value];
  const wanted = value.toLowerCase();
  const key = Object.keys(map).find((k) => k.toLowerCase() === wanted);
  return key ? map[key] : undefined;
}

export function roleAtLeast(role: WebRole | null, minimum: WebRole): boolean {
  return role !== null && WEB_ROLE_RANK[role] >= WEB_ROLE_RANK[minimum];
}
