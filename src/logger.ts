import type { YogaLogger } from 'graphql-yoga';
import type { LogLevel } from './config.js';
import { redactText } from './redact.js';
import { currentRequestId } from './request-scope.js';

/**
 * A tiny structured logger: one JSON object per line, the request id on every line written
 * inside a request, and every line passed through `redactText` as a last line of defence
 * (callers should not log secrets in the first place).
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
  /** Where lines go; @default a write to stdout. Tests capture lines here. */
  write?: (line: string) => void;
  bindings?: Record<string, unknown>;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Errors do not JSON-serialise by themselves; keep name, message, code and stack. */
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
  return value;
}

function stringify(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : serialise(v)));
  } catch {
    return JSON.stringify({ time: record.time, level: record.level, msg: String(record.msg), unserialisable: true });
  }
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const bindings = options.bindings ?? {};
  const log = (at: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[at] < RANK[level]) return;
    const requestId = currentRequestId();
    const record: Record<string, unknown> = {
      time: new Date().toISOString(),
      level: at,
      ...(requestId ? { requestId } : {}),
      ...bindings,
      msg,
    };
    // Serialise errors before JSON.stringify: it would call GraphQLError#toJSON first.
    for (const [key, value] of Object.entries(fields ?? {})) record[key] = serialise(value);
    write(redactText(stringify(record)));
  };
  return {
    level,
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
    child: (more) => createLogger({ level, write, bindings: { ...bindings, ...more } }),
  };
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
        logger[at](typeof first === 'string' ? first : stringify({ value: first }), rest.length ? { args: rest } : undefined);
      }
    };
  return { debug: adapt('debug'), info: adapt('info'), warn: adapt('warn'), error: adapt('error') };
}
