/**
 * An admin's HTTP client for the admin API tests: authorized by the harness host (x-test-admin or x-test-org),
 * signed in as `user` (x-test-user), holding a CSRF token it sends on every write. It keeps the
 * text of every response so a test can check that no secret ever left the server.
 */
import { expect } from 'chai';
import request from 'supertest';
import type { HostHarness } from '../support/host-harness.js';

export const API = '/identity/admin/api';

export interface AdminClient {
  get(path: string): Promise<request.Response>;
  put(path: string, body?: unknown): Promise<request.Response>;
  post(path: string, body?: unknown): Promise<request.Response>;
  delete(path: string): Promise<request.Response>;
  /** Every response body received so far. */
  responses: string[];
}

/** `organization`: an admin of that organization only (the harness's authorizeAdmin scope); else platform staff. */
export async function adminClient(h: HostHarness, user = 'admin-1', organization?: string): Promise<AdminClient> {
  const agent = request.agent(h.appOrigin);
  const as = (test: request.Test) =>
    (organization ? test.set('x-test-org', organization) : test.set('x-test-admin', 'yes')).set('x-test-user', user);
  const csrf = await as(agent.get(`${API}/csrf`));
  expect(csrf.status).to.equal(200);
  const token = csrf.body.token as string;
  const responses: string[] = [];
  const record = async (test: request.Test) => {
    const response = await test;
    responses.push(response.text);
    return response;
  };
  const write = (test: request.Test, body: unknown) =>
    record(
      body === undefined
        ? as(test).set('X-CSRF-Token', token)
        : as(test)
            .set('X-CSRF-Token', token)
            .send(body as object),
    );
  return {
    responses,
    get: (path) => record(as(agent.get(`${API}${path}`))),
    put: (path, body) => write(agent.put(`${API}${path}`), body),
    post: (path, body) => write(agent.post(`${API}${path}`), body),
    delete: (path) => write(agent.delete(`${API}${path}`), undefined),
  };
}
