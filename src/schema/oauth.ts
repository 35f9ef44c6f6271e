import type { Context } from '../context.js';
import { ErrorCode, GatewayError } from '../errors.js';
import { checkChallenge, redeemState } from '../oauth/pkce.js';
import { checkRedirectUri } from '../oauth/redirect-uri.js';
import type { OAuthServices } from '../oauth/services.js';
import type { OAuthTokenSet } from '../oauth/token-api.js';
import { builder } from './builder.js';
import { MemberRef } from './member.js';

function requireOAuth(ctx: Context): OAuthServices {
  if (!ctx.oauth) {
    throw new GatewayError(
      ErrorCode.FORBIDDEN,
      'OAuth2 sign-in is not enabled on this gateway: its operator has not set OPENHUMANS_CLIENT_ID and OPENHUMANS_CLIENT_SECRET.',
    );
  }
  return ctx.oauth;
}

interface Authorization {
  url: string;
  state: string;
  expiresAt: Date;
}

const OAuthAuthorizationRef = builder.objectRef<Authorization>('OAuthAuthorization').implement({
  description: 'Where to send a member to sign in with Open Humans, and the state that comes back.',
  fields: (t) => ({
    url: t.field({
      type: 'URL',
      description:
        'The Open Humans authorize page for this gateway’s project; redirect the browser here.',
      resolve: (a) => a.url,
    }),
    state: t.exposeString('state', {
      description:
        'The signed `state` inside `url`. Keep it in the browser session and check that the same value ' +
        'comes back with the code; then pass it, with the PKCE verifier, to `exchangeOAuthCode` (once).',
    }),
    expiresAt: t.field({
      type: 'DateTime',
      description: 'The code must be exchanged before this time (the state expires).',
      resolve: (a) => a.expiresAt,
    }),
  }),
});

const OAuthTokensRef = builder.objectRef<OAuthTokenSet>('OAuthTokens').implement({
  description:
    "A member's Open Humans tokens for this project. Keep them server-side or in secure storage: " +
    'they are passwords. Refresh tokens rotate: each refresh returns a new one, and the previous ' +
    'access and refresh tokens stop working.',
  fields: (t) => ({
    accessToken: t.exposeString('accessToken', {
      description: 'Send it as `Authorization: Bearer <accessToken>` to act as the member.',
    }),
    refreshToken: t.exposeString('refreshToken', {
      description:
        'Pass it to `refreshOAuthToken` before `expiresAt`; it replaces the previous one.',
    }),
    expiresAt: t.field({
      type: 'DateTime',
      description: 'When the access token expires.',
      resolve: (s) => s.expiresAt,
    }),
    scope: t.exposeStringList('scope', { description: 'The scopes Open Humans granted.' }),
    tokenType: t.exposeString('tokenType', { description: 'Always `Bearer`.' }),
    member: t.field({
      type: MemberRef,
      nullable: true,
      description:
        'The member these tokens act for (exchange-member, read with the new access token), so the app ' +
        'learns its `projectMemberId` at once. Null, with an error, if that read fails: the tokens stand.',
      resolve: (tokens, _args, ctx) =>
        ctx.directSharing.withToken(tokens.accessToken).viewerMember(),
    }),
  }),
});

builder.queryField('oauthAuthorizeUrl', (t) =>
  t.field({
    type: OAuthAuthorizationRef,
    description:
      'Starts an Open Humans sign-in: the authorize URL with a gateway-signed, expiring, single-use ' +
      '`state` bound to the app’s PKCE challenge. Open Humans redirects back to `redirectUri` with ' +
      '`code` and `state`; only the app holding the verifier can then redeem them.',
    args: {
      redirectUri: t.arg.string({
        required: true,
        description:
          'Where Open Humans sends the member back: the redirect URL registered for the project.',
      }),
      codeChallenge: t.arg.string({
        required: true,
        description:
          'PKCE, S256 only: base64url(SHA-256(codeVerifier)) without padding (43 characters), where ' +
          '`codeVerifier` is a fresh random secret (43–128 characters) the app keeps and later passes to ' +
          '`exchangeOAuthCode`. The gateway enforces it (Open Humans itself does not).',
      }),
    },
    resolve: (_root, args, ctx) => {
      const oauth = requireOAuth(ctx);
      const redirectUri = checkRedirectUri(args.redirectUri);
      const { state, expiresAt } = oauth.state.issue(
        redirectUri,
        checkChallenge(args.codeChallenge),
      );
      const url = new URL(oauth.authorizeUrl);
      url.searchParams.set('client_id', oauth.clientId);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('redirect_uri', redirectUri);
      url.searchParams.set('state', state);
      return { url: url.href, state, expiresAt };
    },
  }),
);

const ExchangeOAuthCodeInput = builder.inputType('ExchangeOAuthCodeInput', {
  description: 'What Open Humans sent back to the redirect URI.',
  fields: (t) => ({
    code: t.string({
      required: true,
      description: 'The `code` query parameter (single use, valid 30 minutes).',
    }),
    state: t.string({
      required: true,
      description: 'The `state` query parameter, as issued by `oauthAuthorizeUrl`.',
    }),
    redirectUri: t.string({
      required: true,
      description: 'The same `redirectUri` given to `oauthAuthorizeUrl`.',
    }),
    codeVerifier: t.string({
      required: true,
      description: 'The PKCE verifier whose S256 challenge was given to `oauthAuthorizeUrl`.',
    }),
  }),
});

const RefreshOAuthTokenInput = builder.inputType('RefreshOAuthTokenInput', {
  description: 'The refresh token to trade for new tokens.',
  fields: (t) => ({
    refreshToken: t.string({
      required: true,
      description: 'The newest refresh token (older ones no longer work).',
    }),
  }),
});

builder.mutationField('exchangeOAuthCode', (t) =>
  t.field({
    // Nullable: a failure leaves the results of the request's other mutations standing.
    nullable: true,
    type: OAuthTokensRef,
    description:
      'Finishes a sign-in: checks the `state` and the PKCE verifier (missing, forged, expired, already ' +
      'used, or a verifier that does not match → BAD_USER_INPUT, before any call to Open Humans), then ' +
      'trades the code for tokens. A state redeems once.',
    args: {
      input: t.arg({
        type: ExchangeOAuthCodeInput,
        required: true,
        description: 'The code, state, redirect URI and PKCE verifier.',
      }),
    },
    resolve: async (_root, { input }, ctx) => {
      const oauth = requireOAuth(ctx);
      const redirectUri = checkRedirectUri(input.redirectUri);
      await redeemState({
        signer: oauth.state,
        store: oauth.store,
        state: input.state,
        redirectUri,
        codeVerifier: input.codeVerifier,
      });
      return oauth.tokens.exchangeCode(input.code, redirectUri);
    },
  }),
);

builder.mutationField('refreshOAuthToken', (t) =>
  t.field({
    // Nullable: a failure leaves the results of the request's other mutations standing.
    nullable: true,
    type: OAuthTokensRef,
    description:
      'New tokens for a refresh token. Concurrent refreshes of one token share one call to Open Humans. ' +
      'A rotated refresh token is refused at once (no grace window unless the operator sets ' +
      'OAUTH_REFRESH_GRACE_SECONDS). ' +
      'An invalid, used or revoked refresh token → UNAUTHENTICATED with reason REFRESH_TOKEN_INVALID: ' +
      'sign the member in again.',
    args: {
      input: t.arg({
        type: RefreshOAuthTokenInput,
        required: true,
        description: 'The refresh token.',
      }),
    },
    resolve: (_root, { input }, ctx) => requireOAuth(ctx).tokens.refresh(input.refreshToken),
  }),
);
