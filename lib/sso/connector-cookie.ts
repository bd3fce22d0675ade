import type { Request, Response } from 'express';
import type { SecretBox } from '../crypto/secret-box.js';
import type { ResolvedOptions } from '../runtime/options.js';
import { clearCookie, readCookies, setCookie } from '../web/cookies.js';

const NAME = 'idc_sso_connector';
/** Signed values carry their purpose, so one signed cookie cannot be replayed as another. */
const PURPOSE = 'sso-connector:';
/** As long as a host session is likely to live; it only tells logout which Entra tenant to end. */
const MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Remembers which connector a browser signed in through, for RP-initiated logout. Signed so a
 * forged value cannot pick another organization's logout endpoint; scoped to the logout path so it
 * travels nowhere else.
 */
export class ConnectorCookie {
  constructor(
    private readonly options: ResolvedOptions,
    private readonly secrets: SecretBox,
  ) {}

  private get path(): string {
    return `${this.options.mountPath}/sso/logout`;
  }

  write(res: Response, connectorId: string): void {
    setCookie(res, this.options, NAME, this.secrets.sign(PURPOSE + connectorId), {
      path: this.path,
      maxAgeMs: MAX_AGE_MS,
      sameSite: 'lax',
    });
  }

  read(req: Request): string | undefined {
    const raw = readCookies(req).get(NAME);
    const payload = raw === undefined ? undefined : this.secrets.unsign(raw);
    return payload?.startsWith(PURPOSE) ? payload.slice(PURPOSE.length) : undefined;
  }

  clear(res: Response): void {
    clearCookie(res, this.options, NAME, { path: this.path, sameSite: 'lax' });
  }
}
