import type { ConnectorSettings, WebRole } from '../model/types.js';

/** Each web role's rank, higher is more: what "at least" compares. */
export const WEB_ROLE_RANK: Record<WebRole, number> = { ReadOnly: 1, User: 2, Admin: 3, EnterpriseAdmin: 4 };

/** The web role a set of Entra app-role values gives, and the values the role map does not know. */
export interface RoleDecision {
  webRole: WebRole | null;
  unmapped: string[];
}

/**
 * The one interpreter of app roles, for SCIM `roles` entries (Entra sends `{primary: "True",
 * type: "WindowsAzureActiveDirectoryRole", value: "Admin"}`) and the ID token's `roles` claim
 * alike. Values go through the connector's role map (case-insensitively); the primary entry
 * wins when it maps, else the highest mapped role. An unmapped value gives no role and is
 * reported, never refused: Entra counts every refusal toward quarantine. No role means app
 * login only (null).
 */
export function decideWebRole(roles: unknown, settings: Pick<ConnectorSettings, 'roleMap'>): RoleDecision {
  const entries = roleEntries(roles);
  const unmapped: string[] = [];
  let primary: WebRole | undefined;
  let best: WebRole | null = null;
  for (const entry of entries) {
    const role = lookup(settings.roleMap, entry.value);
    if (!role) {
      unmapped.push(entry.value);
      continue;
    }
    if (entry.primary && !primary) primary = role;
    if (best === null || WEB_ROLE_RANK[role] > WEB_ROLE_RANK[best]) best = role;
  }
  return { webRole: primary ?? best, unmapped };
}

function roleEntries(roles: unknown): Array<{ value: string; primary: boolean }> {
  if (!Array.isArray(roles)) return [];
  const out: Array<{ value: string; primary: boolean }> = [];
  for (const r of roles) {
    if (typeof r === 'string' && r !== '') out.push({ value: r, primary: false });
    else if (
      r &&
      typeof r === 'object' &&
      typeof (r as { value?: unknown }).value === 'string' &&
      (r as { value: string }).value !== ''
    ) {
      out.push({ value: (r as { value: string }).value, primary: (r as { primary?: unknown }).primary === true });
    }
  }
  return out;
}

function lookup(map: Record<string, WebRole>, value: string): WebRole | undefined {
  if (Object.hasOwn(map, value)) return map[value];
  const wanted = value.toLowerCase();
  const key = Object.keys(map).find((k) => k.toLowerCase() === wanted);
  return key ? map[key] : undefined;
}

/** Whether a user's role is at or above the minimum; no role is below every minimum. */
export function roleAtLeast(role: WebRole | null, minimum: WebRole): boolean {
  return role !== null && WEB_ROLE_RANK[role] >= WEB_ROLE_RANK[minimum];
}
