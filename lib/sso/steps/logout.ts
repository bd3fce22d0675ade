import type { Request, Response } from 'express';
import type { SsoFlow } from '../flow.js';

/** `GET|POST /logout`: the host's sign-out, then Entra's end-session endpoint when the provider has one. */
export async function signOut(flow: SsoFlow, req: Request, res: Response): Promise<void> {
  const { options, store } = flow.runtime;
  const requested = typeof req.query.connector === 'string' ? req.query.connector : undefined;
  const connectorId = requested && requested.length <= 64 ? requested : flow.connectorCookie.read(req);
  if (options.signOut) await options.signOut(req, res);
  flow.connectorCookie.clear(res);
  const connector = connectorId ? await store.connectors.get(connectorId) : undefined;
  const endSession = connector ? await flow.relyingParty.endSessionUrl(connector, `${options.baseUrl}/`) : undefined;
  res.redirect(303, endSession?.href ?? '/');
}
