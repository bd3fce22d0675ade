/**
 * The provisioning log's operations in words: the one table the log filter offers and the log
 * table shows (the code beside the words, as the API and `?operation=` take it). Every code the
 * policy layer writes is here; an entry with any other code (a failed request SCIM could not
 * attribute) shows its code.
 */
export const LOG_OPERATION_LABELS: Readonly<Record<string, string>> = {
  'user.create': 'User created',
  'user.replace': 'User replaced',
  'user.patch': 'User updated',
  'user.delete': 'User deleted or deactivated',
  'user.link': 'Existing user matched on create',
  'user.access': 'User access changed',
  'user.login-method': 'Login method switched',
  'user.protection': 'User protected or unprotected',
  'user.sso-link': 'User linked to their Entra account',
  'user.entra-push': 'User pushed to Entra',
  'group.create': 'Group created',
  'group.replace': 'Group replaced',
  'group.patch': 'Group updated or renamed',
  'group.delete': 'Group deleted',
  login: 'Sign-in',
  'token.create': 'SCIM token created',
  'token.revoke': 'SCIM token revoked',
  'connector.create': 'Connector created',
  'connector.settings': 'Settings changed',
  'oidc.configure': 'Single sign-on settings changed',
  'connector.tenant': 'Entra tenant set',
  'connector.default-group': 'Default group changed',
  'connector.deprovisioning-paused': 'Deprovisioning paused by the guard',
  'connector.deprovisioning-resumed': 'Deprovisioning resumed',
  'workspace.register': 'Workspace added',
  'workspace.remove': 'Workspace removed',
  'workspace.resync': 'Workspaces re-decided',
};

/** An operation code in words, or the code itself when the table has none. */
export const operationLabel = (code: string): string => LOG_OPERATION_LABELS[code] ?? code;
