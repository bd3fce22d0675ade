import { hashPassword } from '../policy/password.js';
import { webRoleFromRoles } from '../policy/roles.js';
import type { Connector, ResourceDocument, UserWrite } from '../store/types.js';

/**
 * Turns a validated user document into a store write: the password (when the connector
 * accepts one) becomes a hash and leaves the document; `roles` set the web access role.
 */
export async function toUserWrite(document: ResourceDocument, connector: Connector): Promise<UserWrite> {
  const { password, ...rest } = document;
  const write: UserWrite = { document: rest, webRole: webRoleFromRoles(rest.roles, connector.settings) };
  if (typeof password === 'string' && password !== '' && connector.settings.acceptPassword) {
    write.passwordHash = await hashPassword(password);
  }
  return write;
}
