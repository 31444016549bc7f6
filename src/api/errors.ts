// Errors as moby sends them: a status code and `{"message": "…"}`. A SkiffError's code decides the
// status (404 no such container/image, 409 conflict, 400 bad parameter, 500 otherwise), so every
// client prints what Docker's would.
import { SkiffError, asSkiffError, type SkiffErrorCode } from '../errors.js';

/** An error raised by the API layer itself, with the status it must answer. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const STATUS: Partial<Record<SkiffErrorCode, number>> = {
  EUSAGE: 400, EINVALID: 400, EFLAG: 400, EREFERENCE: 400, EPORT: 400,
  ENOCONTAINER: 404, ENOIMAGE: 404,
  ENAMEINUSE: 409, ESTATE: 409, EIMAGEINUSE: 409,
  EAUTH: 401,
};

export function errorStatus(e: unknown): { status: number; message: string } {
  if (e instanceof ApiError) return { status: e.status, message: e.message };
  const err = asSkiffError(e);
  let status = STATUS[err.code] ?? 500;
  // "network x not found" is moby's 404 too.
  if (err.code === 'ENETWORK' && /not found/.test(err.message)) status = 404;
  // moby's messages carry no hint; skiff's hint is appended only where it tells what to do.
  let message = err instanceof SkiffError && err.hint && status >= 500 ? `${err.message}: ${err.hint}` : err.message;
  // moby's name conflict is one sentence longer: skiff keeps that sentence as the hint.
  if (err.code === 'ENAMEINUSE' && err instanceof SkiffError && err.hint) message = `${err.message}. ${err.hint}`;
  return { status, message };
}
