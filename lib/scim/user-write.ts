import { hashPassword } from '../policy/password.js';
import { webRoleFromRoles } from '../policy/roles.js';
import { applyUserPolicy } from '../policy/user-policy.js';
import type { Connector, ResourceDocument, UserWrite } from '../store/types.js';

/**
 * Turns a validated user document into a store write: the connector's policy applies (given
 * the stored document on updates), the password (when accepted) becomes a hash and leaves the
 * document, and `roles` set the web access role.
 */
export async function toUserWrite(document: ResourceDocument, connector: Connector, previous?: ResourceDocument): Promise<UserWrite> {
  const { password, ...rest } = applyUserPolicy(connector.settings, document, previous);
  const write: UserWrite = { document: rest, webRole: webRoleFromRoles(rest.roles, connector.settings) };
  if (typeof password === 'string' && password !== '' && connector.settings.acceptPassword) {
    write.passwordHash = await hashPassword(password);
  }
  return write;
}
