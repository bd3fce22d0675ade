/**
 * The SCIM side: Entra's requests over keep-alive HTTP (one undici Pool of C connections).
 * Any non-2xx answer throws with its status and body, so the Recorder counts it as an error.
 */
import { Pool } from 'undici';
import type { PatchBody, Target, UserDocument } from './scenario.js';

const CONTENT_TYPE = 'application/scim+json';

export class HttpError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    body: string,
  ) {
    super(`${method} ${path.split('?')[0]} → ${status} ${body.slice(0, 400)}`);
  }
}

export class ScimHttpTarget implements Target {
  private readonly pool: Pool;
  private readonly basePath: string;
  private nextToken = 0;

  /**
   * `tokens`: requests take them in turn. The connector rate-limits per token (1,200 requests a
   * minute by default, not configurable through the demo host), so the bench spreads its load
   * over enough tokens that no token reaches that limit.
   */
  constructor(
    scimBaseUrl: string,
    private readonly tokens: string[],
    connections: number,
  ) {
    const url = new URL(scimBaseUrl);
    this.pool = new Pool(url.origin, { connections, pipelining: 1 });
    this.basePath = url.pathname.replace(/\/$/, '');
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<string> {
    const token = this.tokens[this.nextToken++ % this.tokens.length];
    const res = await this.pool.request({
      method,
      path: this.basePath + path,
      headers: {
        authorization: `Bearer ${token}`,
        accept: CONTENT_TYPE,
        ...(body === undefined ? {} : { 'content-type': CONTENT_TYPE }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode > 299) throw new HttpError(method, path, res.statusCode, text);
    return text;
  }

  private async findOne(filter: string): Promise<string | null> {
    const list = JSON.parse(await this.call('GET', `/Users?filter=${encodeURIComponent(filter)}`)) as {
      totalResults: number;
      Resources?: Array<{ id: string }>;
    };
    if (list.totalResults > 1) throw new Error(`filter ${filter} matched ${list.totalResults} users`);
    return list.Resources?.[0]?.id ?? null;
  }

  findByUserName(userName: string) {
    return this.findOne(`userName eq "${userName}"`);
  }
  findByWorkEmail(email: string) {
    return this.findOne(`emails[type eq "work"].value eq "${email}"`);
  }
  findByExternalId(externalId: string) {
    return this.findOne(`externalId eq "${externalId}"`);
  }

  async createUser(document: UserDocument): Promise<string> {
    return (JSON.parse(await this.call('POST', '/Users', document)) as { id: string }).id;
  }

  async patchUser(id: string, patch: PatchBody): Promise<void> {
    await this.call('PATCH', `/Users/${id}`, patch);
  }

  async deleteUser(id: string): Promise<void> {
    await this.call('DELETE', `/Users/${id}`);
  }

  async createGroup(displayName: string, externalId: string): Promise<string> {
    const body = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName, externalId };
    return (JSON.parse(await this.call('POST', '/Groups', body)) as { id: string }).id;
  }

  async addMembers(groupId: string, userIds: string[]): Promise<void> {
    await this.call('PATCH', `/Groups/${groupId}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'Add', path: 'members', value: userIds.map((value) => ({ value })) }],
    });
  }

  async listUsers(startIndex: number, count: number): Promise<void> {
    const text = await this.call('GET', `/Users?startIndex=${startIndex}&count=${count}`);
    if (!text.includes('"Resources"')) throw new Error(`list at startIndex=${startIndex} has no Resources`);
  }

  async countUsers(): Promise<number> {
    return (JSON.parse(await this.call('GET', '/Users?count=0')) as { totalResults: number }).totalResults;
  }
}
