import type { YogaLogger } from 'graphql-yoga';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import { pino } from 'pino';
import type { LogLevel } from './config/index.js';
import { REDACTED, redactText } from './redact.js';
import { currentRequestId } from './request-scope.js';

/**
 * Structured JSON logs through pino: one JSON object per line, the request id on every line
 * written inside a request (from the request scope), and every line passed through `redactText`
 * as a last line of defence (callers should not log secrets in the first place). Personal
 * fields (usernames, member names) are kept only at debug level (docs/design.md).
 */
export interface Logger {
  readonly level: LogLevel;
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `bindings` to every line. */
  child(bindings: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  /** @default 'info' */
  level?: LogLevel;
  /** Where lines go (without the trailing newline); @default stdout. Tests capture lines here. */
  write?: (line: string) => void;
  bindings?: Record<string, unknown>;
}

/** Field names holding personal data: written at debug level only. */
const PERSONAL_FIELDS = new Set(['username', 'usernames', 'memberName', 'memberNames']);

/** Errors do not JSON-serialise by themselves; keep name, message, code, path and stack. */
function serialise(value: unknown): unknown {
  if (value instanceof Error) {
    const { name, message, stack } = value;
    const code = (value as { code?: unknown }).code;
    const cause = (value as { cause?: unknown }).cause;
    // GraphQLErrors wrap the resolver's error: log that one, it has the useful stack.
    const original = (value as { originalError?: unknown }).originalError;
    const path = (value as { path?: unknown }).path;
    return {
      name,
      message,
      ...(code !== undefined ? { code } : {}),
      ...(path !== undefined ? { path } : {}),
      ...(stack ? { stack } : {}),
      ...(original instanceof Error ? { originalError: serialise(original) } : {}),
      ...(cause !== undefined ? { cause: serialise(cause) } : {}),
    };
  }
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Redacts every line on its way out, whatever produced it. */
function redactingStream(write: ((line: string) => void) | undefined): DestinationStream {
  if (write) return { write: (chunk: string) => write(redactText(chunk.replace(/\n$/, ''))) };
  // Synchronous writes: lines written just before process.exit (shutdown) are not lost.
  const stdout = pino.destination({ dest: 1, sync: true });
  return { write: (chunk: string) => void stdout.write(redactText(chunk)) };
}

function wrap(base: PinoLogger, level: LogLevel): Logger {
  const log =
    (at: 'debug' | 'info' | 'warn' | 'error') =>
    (msg: string, fields?: Record<string, unknown>): void => {
      if (!base.isLevelEnabled(at)) return;
      const record: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(fields ?? {})) {
        // Serialise errors before pino: JSON.stringify would call GraphQLError#toJSON first.
        record[key] = at !== 'debug' && PERSONAL_FIELDS.has(key) ? REDACTED : serialise(value);
      }
      base[at](record, msg);
    };
  return {
    level,
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (bindings) => wrap(base.child(bindings), level),
  };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const base = pino(
    {
      level,
      base: undefined, // no pid/hostname: one process per container
      messageKey: 'msg',
      // Errors are serialised above (with cause and originalError); pino's own would flatten them.
      serializers: { err: (value: unknown) => value },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => {
        const requestId = currentRequestId();
        return requestId ? { requestId } : {};
      },
    },
    redactingStream(options.write),
  );
  return wrap(options.bindings ? base.child(options.bindings) : base, level);
}

/** Adapts our logger to yoga's `logging` option (yoga passes free-form arguments). */
export function toYogaLogger(logger: Logger): YogaLogger {
  const adapt =
    (at: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]): void => {
      const [first, ...rest] = args;
      if (first instanceof Error) {
        logger[at](first.message, { err: first, ...(rest.length ? { args: rest } : {}) });
      } else {
        let text: string;
        try {
          text =
            typeof first === 'string' ? first : (JSON.stringify(serialise(first)) ?? String(first));
        } catch {
          text = String(first);
        }
        logger[at](text, rest.length ? { args: rest.map(serialise) } : undefined);
      }
    };
  return { debug: adapt('debug'), info: adapt('info'), warn: adapt('warn'), error: adapt('error') };
}
