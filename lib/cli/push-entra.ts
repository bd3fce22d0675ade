import {
  pushUsersToEntra,
  type EntraPushCredentials,
  type EntraPushReport,
  type EntraPushResult,
} from '../admin/entra-push.js';
import type { IdentityStore } from '../store/index.js';
import { cliRuntime } from './cli-runtime.js';

/** `users push-entra`: the admin API's push, audited with actor `cli`. */
export async function pushToEntra(
  store: IdentityStore,
  connectorId: string,
  credentials: EntraPushCredentials,
): Promise<EntraPushReport> {
  const runtime = cliRuntime(store, "it decrypts the connector's client secret");
  return pushUsersToEntra(runtime, await store.connectors.require(connectorId), credentials, { actor: 'cli' });
}

/** One line per user, for people (`--json` prints the report instead). */
export function describePushResult(r: EntraPushResult): string {
  switch (r.outcome) {
    case 'created':
      return `created  ${r.userName}  Entra object ${r.entraId}  initial password ${r.initialPassword}`;
    case 'skipped':
      return `skipped  ${r.userName}  ${r.reason === 'protected' ? 'protected by the platform' : `already linked to Entra object ${r.externalId}`}`;
    case 'failed':
      return `failed   ${r.userName}  ${r.status} ${r.code}${r.detailCode ? `/${r.detailCode}` : ''}: ${r.message}`;
  }
}
