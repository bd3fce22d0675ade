import { InvalidInput, NotFound, PolicyRefusal } from '../model/errors.js';
import type { Connector, ScimToken } from '../model/types.js';
import { isStoreError } from '../store/errors.js';
import { MAX_LIVE_TOKENS, type RevokedToken } from '../store/tokens.js';
import type { AuditContext, AuditWriter } from './audit.js';

/** The label column is varchar(191). */
export const MAX_LABEL_LENGTH = 191;
/** The longest expiry a token may be given: ten years. */
export const MAX_EXPIRY_DAYS = 3650;
const DAY_MS = 86_400_000;

/** What a new token is given: a label to recognise it by, and its lifetime in days (none: no expiry). */
export interface TokenInput {
  label?: string | null;
  expiresInDays?: number | null;
}

/** A new token: the plain value (shown once, never stored) and its record. */
export interface CreatedToken {
  token: string;
  record: ScimToken;
}

/** Rotation with overlap, said in the terms of every caller (admin page and CLI). */
const TOO_MANY_LIVE =
  `this connector already has ${MAX_LIVE_TOKENS} live tokens: revoke one before creating another ` +
  '(to rotate: create the new token while only the old one is live, give it to Entra, then revoke the old one)';

/**
 * Why a token cannot be created now, or undefined: the connector has as many live tokens as it
 * may. The admin page disables its Create token while this holds; `create` refuses the same
 * (decided by the store's count under lock, so two concurrent creations cannot both pass).
 */
export function tokenCreationRefusal(liveTokens: number): string | undefined {
  return liveTokens >= MAX_LIVE_TOKENS ? TOO_MANY_LIVE : undefined;
}

/**
 * The one path of SCIM token writes (admin API, CLI): the label and lifetime are checked here,
 * the live-token limit refused as PolicyRefusal `too_many_live_tokens` (audited as a refusal),
 * and each creation and revocation commits with its audit row. The plain token is never audited.
 */
export class TokenWrites {
  constructor(private readonly audit: AuditWriter) {}

  /** Issues a token for the connector's Entra "Secret Token" field. */
  async create(connector: Connector, input: TokenInput, context: AuditContext): Promise<CreatedToken> {
    const label = input.label ?? '';
    if (typeof label !== 'string' || label.trim().length > MAX_LABEL_LENGTH) {
      throw new InvalidInput('invalidValue', `label must be a string of at most ${MAX_LABEL_LENGTH} characters`, {
        field: 'label',
      });
    }
    const days = input.expiresInDays ?? null;
    if (days !== null && !(Number.isInteger(days) && days >= 1 && days <= MAX_EXPIRY_DAYS)) {
      throw new InvalidInput(
        'invalidValue',
        `expiresInDays must be a whole number of days from 1 to ${MAX_EXPIRY_DAYS}, or absent for no expiry`,
        { field: 'expiresInDays' },
      );
    }
    try {
      return await this.audit.change(context, async (tx) => {
        const created = await tx.tokens.create(connector.id, {
          label: label.trim() || undefined,
          expiresAt: days === null ? null : new Date(Date.now() + days * DAY_MS),
        });
        const { record } = created;
        const detail = {
          displayPrefix: record.displayPrefix,
          label: record.label,
          expiresAt: record.expiresAt?.toISOString() ?? null,
        };
        return {
          value: created,
          record: {
            connectorId: connector.id,
            operation: 'token.create',
            resourceType: 'Token',
            resourceId: record.id,
            detail,
          },
        };
      });
    } catch (error) {
      if (!isStoreError(error, 'conflict')) throw error;
      const refusal = new PolicyRefusal('too_many_live_tokens', TOO_MANY_LIVE);
      await this.audit.refusal(
        { ...context, status: refusal.status },
        {
          connectorId: connector.id,
          operation: 'token.create',
          resourceType: 'Token',
          resourceId: connector.id,
          detail: { reason: refusal.code },
        },
      );
      throw refusal;
    }
  }

  /**
   * Revokes a token at once; `connectorId` (when given) must be the token's, or the token is not found.
   * `revokedNow` is false for a token revoked before: nothing is written or raised again.
   */
  async revoke(tokenId: string, connectorId: string | undefined, context: AuditContext): Promise<RevokedToken> {
    try {
      return await this.audit.change(context, async (tx) => {
        const value = await tx.tokens.revoke(tokenId, connectorId);
        const { token } = value;
        return {
          value,
          record: value.revokedNow
            ? {
                connectorId: token.connectorId,
                operation: 'token.revoke',
                resourceType: 'Token',
                resourceId: token.id,
                detail: { displayPrefix: token.displayPrefix },
              }
            : null,
        };
      });
    } catch (error) {
      if (isStoreError(error, 'not_found'))
        throw new NotFound(
          connectorId ? `token ${tokenId} not found in connector ${connectorId}` : `token ${tokenId} not found`,
        );
      throw error;
    }
  }
}
