import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** Passes rejections to next(): Express 4 (a supported peer) does not do it for async handlers. */
export const asyncRoute = (fn: (req: Request, res: Response, next: NextFunction) => Promise<unknown>): RequestHandler =>
  (req, res, next) => { fn(req, res, next).catch(next); };

/** Browsers ask for text/html; API clients and `Accept: *\/*` get JSON. */
export const prefersHtml = (req: Request): boolean => req.accepts(['json', 'html']) === 'html';
