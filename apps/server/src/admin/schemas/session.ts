/**
 * The wire shape of console sessions (docs/architecture/console.md#sessions).
 */
import { type Static, Type } from 'typebox';
import { DateTime } from './common.js';
import { Token } from './tokens.js';

/** POST /v1/session. @example { "name": "owner", "password": "correct horse battery" } */
export const SignInBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, description: 'The console user’s name.' }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false, examples: [{ name: 'owner', password: 'correct horse battery' }] },
);

/** What the console knows about who is signed in. */
export const Session = Type.Object(
  {
    user: Token,
    csrfToken: Type.Union([Type.String(), Type.Null()], {
      description:
        'Send as X-CSRF-Token on every request that changes something; null when the request used an admin token.',
    }),
    expiresAt: Type.Union([DateTime, Type.Null()], {
      description: 'The absolute end of the session; null for an admin token.',
    }),
    idleTimeoutSeconds: Type.Integer({ description: 'A session unused this long ends.' }),
    clientAddress: Type.Union([Type.String(), Type.Null()], {
      description:
        'The address this request came from as the server sees it: what the self-lockout guard protects.',
    }),
  },
  { description: 'The signed-in user and the session’s CSRF token.' },
);

export type SessionDto = Static<typeof Session>;
