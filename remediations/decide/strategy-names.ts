// Rules and policies name strategies; the registry is the closed set they must come from. Checked
// when the files load, so a typo stops the boot with the file, the path and the value, not at 3 a.m.
import type { z } from 'zod';

/** Adds an issue when `name` is not one of `strategies`. */
export function unknownStrategy(ctx: z.RefinementCtx, strategies: readonly string[], name: string, path: (string | number)[]): void {
  if (strategies.includes(name)) return;
  ctx.addIssue({ code: 'custom', path, input: name, message: `must be one of ${strategies.map((s) => JSON.stringify(s)).join(', ')}` });
}
