/**
 * Admin console: the JSON API client (console/common.js `client`) and errors in the admin's language.
 */
import * as KC from '../console/common.js';
import { ApiError } from '../console/common.js';
import { BASE, state, t } from './state.js';
import { toast } from './helpers.js';
import { logout } from './session.js';

/* ------------------------------------------------------------------ API */

export const { api, act } = KC.client({
  base: BASE,
  token: () => state.token,
  loggedIn: () => Boolean(state.config),
  expired: (message) => logout(message),
  text: () => t,
  toast,
  describe: (e) => localError(e),
});

// An error in the admin's language: the server's messages are English, so known codes get their own
// text here (a bad import file: which file and line; its English detail goes under "technical").
export function localError(e) {
  if (!(e instanceof ApiError)) return t.error;
  if (e.code === 'bad_import_file') return t.badImportFile(e.file || '?', e.line);
  if (e.code === 'network') return t.errors.network;
  return t.errors[e.code] || t.statusError(e.status);
}
