/**
 * What to do about a refusal of the management API, said in terms of the command line: the API's
 * own hints speak of request fields (`confirmLockout: true`, `Authorization: Bearer`), which a person
 * at a shell does not type.
 *
 * @example adviceFor('IPG_SELF_LOCKOUT', context); // 'If you mean it, repeat the command with --confirm-lockout.'
 */
export function adviceFor(
  code: string,
  context: { readonly server: string; readonly token: string },
): string | undefined {
  switch (code) {
    case 'IPG_AUTH_REQUIRED':
      if (context.token.startsWith('ipg_live_')) {
        return 'IPGATE_TOKEN holds an API key (ipg_live_…), not an admin token (ipg_adm_…). Set it to an admin token.';
      }
      return `The server at ${context.server} does not know the token in IPGATE_TOKEN (mistyped, revoked, or another server's). Set IPGATE_TOKEN to an admin token (ipg_adm_…) of this server: ipgate serve prints the owner token on its first start, and ipgate admin-token create --owner makes a new one.`;
    case 'IPG_ROLE_FORBIDDEN':
      return 'Use an admin token with that role in IPGATE_TOKEN (viewer reads, editor writes, owner manages tokens; tenants and APIs need a token for all tenants).';
    case 'IPG_SELF_LOCKOUT':
      return 'If you mean it, repeat the command with --confirm-lockout.';
    case 'IPG_VERSION_CONFLICT':
      return 'Someone else changed it since it was read: look at it again (get or list) and repeat the command if it still applies.';
    case 'IPG_PRECONDITION_FAILED':
      return 'Give --expect-version the version number a list or get showed, e.g. --expect-version 3.';
    case 'IPG_STORE_UNAVAILABLE':
      return `The server at ${context.server} cannot reach its database; its last good rules stay in force. Try again once the store is back (GET ${context.server}/readyz says when).`;
    default:
      return undefined;
  }
}
