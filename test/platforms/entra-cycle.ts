import { expect } from 'chai';
import supertest from 'supertest';
import type { ScimHarness } from '../support/scim-harness.js';

export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** Entra's `Switch([IsSoftDeleted], , "False", "True", "True", "False")`: active arrives as a string. */
export const ACTIVE = 'True';

/**
 * What Entra's provisioning cycle does for a user in scope: query by the matching attribute,
 * and POST when nothing is found. Answers the created (or linked) resource.
 */
export async function provision(
  h: ScimHarness,
  match: { attribute: string; value: string },
  body: Record<string, unknown>,
): Promise<Record<string, any>> {
  const query = await h.scim
    .get(`/Users?filter=${encodeURIComponent(`${match.attribute} eq "${match.value}"`)}`)
    .expect(200);
  expect(query.body.totalResults).to.equal(0);
  return (await h.scim.post('/Users', body).expect(201)).body;
}

/** An update as Entra sends it: one PatchOp with the changed attributes. */
export function patch(h: ScimHarness, id: string, ...operations: Array<Record<string, unknown>>) {
  return h.scim.patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: operations });
}

/** Entra's disable: `Replace active "False"`. */
export const disable = (h: ScimHarness, id: string) => patch(h, id, { op: 'Replace', path: 'active', value: 'False' });

/** The ids of a /Schemas answer. */
export async function advertisedSchemas(h: ScimHarness): Promise<string[]> {
  return (await h.scim.get('/Schemas').expect(200)).body.Resources.map((s: { id: string }) => s.id);
}

/** The admin API as the admin page calls it (a harness started with `admins: true`): CSRF token, then JSON. */
export async function adminApi(h: ScimHarness) {
  const agent = supertest.agent(h.app);
  const api = '/identity/admin/api';
  const csrf = await agent.get(`${api}/csrf`).set('x-test-admin', 'yes').expect(200);
  const as = (t: supertest.Test) => t.set('x-test-admin', 'yes').set('X-CSRF-Token', csrf.body.token as string);
  return {
    get: (path: string) => as(agent.get(api + path)),
    post: (path: string, body?: object) => as(agent.post(api + path)).send(body),
    put: (path: string, body?: object) => as(agent.put(api + path)).send(body),
    delete: (path: string) => as(agent.delete(api + path)),
  };
}
