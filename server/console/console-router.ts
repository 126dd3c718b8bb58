// The operator console at /console: static files committed beside this one (no build step, no CDN, no
// external font), served by Medic itself. The files hold no data and need no credential; the console
// reads and acts through the public /api with the token its user gives, so the API's roles and audit
// apply to it as to any client.
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';

export const CONSOLE_DIR = fileURLToPath(new URL('./public/', import.meta.url));

// Only this origin's scripts, styles and API: what an alert's label holds is shown as text, and even a
// mistake that put it into markup could neither run a script nor send data elsewhere.
const CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "form-action 'none'", "frame-ancestors 'none'", "base-uri 'none'",
].join('; ');

export function consoleRouter(): Router {
  const router = express.Router();
  router.use('/console', (req, res, next) => {
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    // Small files, changed with Medic's version: revalidate rather than serve an old console after an upgrade.
    res.setHeader('Cache-Control', 'no-cache');
    next();
  });
  // Relative asset paths need the trailing slash; routing ignores it, so look at the URL itself.
  router.get('/console', (req, res, next) => (req.originalUrl.split('?')[0] === '/console' ? res.redirect(301, '/console/') : next()));
  router.use('/console', express.static(CONSOLE_DIR, { index: 'index.html', redirect: false, fallthrough: true, etag: true, lastModified: true }));
  return router;
}
