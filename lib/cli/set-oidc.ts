import type { IdentityStore } from '../store/index.js';
import type { Connector } from '../store/types.js';

export async function setOidc(_store: IdentityStore, _connectorId: string, _input: { issuer?: string; tenantId?: string; clientId: string; clientSecret: string }): Promise<Connector> {
  throw new Error('pending: wired to lib/sso/configure.ts');
}
