// The two checks every simulated API makes on a request body, answered the way the agent protocol says.
import type { Response } from 'express';

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Answers 400 with the reason, as `{ error }` (the protocol's error shape). */
export function badRequest(res: Response, error: string): void {
  res.status(400).json({ error });
}
