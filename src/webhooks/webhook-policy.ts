import type { Config } from '../config/index.js';

/** How the deauthorization webhook receiver is served, decided once from the configuration. */
export type WebhookPolicy =
  | { serve: false; reason: string }
  | {
      serve: true;
      /** `OPENHUMANS_WEBHOOK_SECRET`: a signed call must verify against it. */
      secret: string | null;
      /** Calls without a signature (and the legacy double-encoded retry) are accepted. */
      acceptUnsigned: boolean;
      /** Said once at start when the receiver is weaker than a signed-only one. */
      warning: string | null;
    };

/**
 * - No OPENHUMANS_PROJECT_ID: no receiver (nobody could read its events).
 * - A secret: only calls signed with it, unless OPENHUMANS_WEBHOOK_ALLOW_UNSIGNED=true also lets
 *   unsigned calls in (Open Humans' fallback retry after a non-2xx is never signed).
 * - No secret in production: no receiver (anyone could forge an erasure), unless
 *   OPENHUMANS_WEBHOOK_ALLOW_UNSIGNED=true says so out loud.
 * - No secret elsewhere (development, tests): unsigned calls, with a warning.
 */
export function webhookPolicy(config: Config): WebhookPolicy {
  const { webhookSecret: secret, projectId } = config.openHumans;
  const { allowUnsigned } = config.deauthorization;
  if (projectId === null) return { serve: false, reason: 'OPENHUMANS_PROJECT_ID is not set' };
  if (secret !== null) {
    const warning = allowUnsigned
      ? 'OPENHUMANS_WEBHOOK_ALLOW_UNSIGNED=true: the deauthorization webhook also accepts unsigned calls'
      : null;
    return { serve: true, secret, acceptUnsigned: allowUnsigned, warning };
  }
  if (config.nodeEnv === 'production' && !allowUnsigned) {
    return {
      serve: false,
      reason:
        'the deauthorization webhook is not served: NODE_ENV=production needs OPENHUMANS_WEBHOOK_SECRET ' +
        '(or OPENHUMANS_WEBHOOK_ALLOW_UNSIGNED=true to accept unsigned calls)',
    };
  }
  return {
    serve: true,
    secret: null,
    acceptUnsigned: true,
    warning:
      'OPENHUMANS_WEBHOOK_SECRET is not set: the deauthorization webhook accepts unsigned calls',
  };
}
