/** The gateway's version (kept equal to package.json's by a test) and the User-Agent it sends. */
export const VERSION = '0.1.0';

/** Names the gateway to Open Humans; must never match its blocked crawler patterns (§1.3). */
export const USER_AGENT = `openhumans-graphql/${VERSION}`;
