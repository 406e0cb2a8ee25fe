/**
 * Agent console: the JSON API client (console/common.js `client`).
 */
import * as KC from '../console/common.js';
import { BASE, state, t } from './state.js';
import { toast } from './helpers.js';
import { logout } from './session.js';

/* ------------------------------------------------------------------ API */

export const { api, act } = KC.client({
  base: BASE,
  token: () => state.token,
  loggedIn: () => Boolean(state.agent),
  expired: (message) => logout(message),
  text: () => t,
  toast,
});
