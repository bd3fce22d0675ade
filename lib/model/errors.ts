/**
 * The model's refusals as values. Layers above translate them: the SCIM error handler into
 * `urn:…:Error` bodies, SSO into a login refusal, the admin API into JSON errors. Messages are
 * written for the client and never carry SQL, stack traces or secrets.
 */

/**
 * A document or request that does not fit the schemas. The reason uses RFC 7644 §3.12's
 * vocabulary because it is the most precise one any of our protocols has.
 */
export type InvalidReason = 'invalidValue' | 'invalidSyntax' | 'invalidFilter' | 'invalidPath' | 'noTarget' | 'mutability' | 'tooMany';

export class InvalidInput extends Error {
  constructor(readonly reason: InvalidReason, message: string) {
    super(message);
    this.name = 'InvalidInput';
  }
}

export const invalidInput = (message: string) => new InvalidInput('invalidValue', message);

/**
 * A write the connector's rules refuse: `protected` (a platform-protected user, e.g. an
 * Organization Owner), `rule` (required attributes, allowed values, role mapping), `paused` (a
 * deactivation or deletion while the mass-deprovisioning guard holds the connector).
 */
export type PolicyRefusalCode = 'protected' | 'rule' | 'paused';

export class PolicyRefusal extends Error {
  constructor(readonly code: PolicyRefusalCode, message: string) {
    super(message);
    this.name = 'PolicyRefusal';
  }
}
