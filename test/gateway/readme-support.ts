/**
 * Reading the README's examples for `readme-runs.test.ts`: every ```graphql block split into
 * its named operations, and every `curl` command of a ```sh block parsed into a request.
 */

import type { OperationTypeNode } from 'graphql';
import { Kind, parse } from 'graphql';

export interface ReadmeOperation {
  /** The operation's name; an unnamed one is reported as `(unnamed, line N)`. */
  name: string;
  type: OperationTypeNode;
  /** The whole block (with any fragments), sent with `operationName`. */
  document: string;
  /** Variable names the operation declares. */
  variables: string[];
  line: number;
}

export interface CurlCommand {
  /** The command as written (continuation lines joined). */
  text: string;
  line: number;
  url: string;
  headers: Record<string, string>;
  /** `-d` body. */
  data?: string;
  /** `-F name=value` / `-F name=@file` fields, in order. */
  form: Array<{ name: string; value?: string; file?: string }>;
  /** `-N`: a streamed answer (Server-Sent Events). */
  stream: boolean;
}

const lineOf = (text: string, index: number): number => text.slice(0, index).split('\n').length;

/** Every named operation of every ```graphql block, in README order. */
export function readmeOperations(readme: string): ReadmeOperation[] {
  const out: ReadmeOperation[] = [];
  for (const match of readme.matchAll(/```graphql\n([\s\S]*?)```/g)) {
    const block = match[1] ?? '';
    const line = lineOf(readme, match.index ?? 0) + 1;
    for (const def of parse(block).definitions) {
      if (def.kind !== Kind.OPERATION_DEFINITION) continue;
      out.push({
        name: def.name?.value ?? `(unnamed, line ${line})`,
        type: def.operation,
        document: block,
        variables: (def.variableDefinitions ?? []).map((v) => v.variable.name.value),
        line: line + (def.loc?.startToken.line ?? 1) - 1,
      });
    }
  }
  return out;
}

/**
 * Splits a shell command into words: single and double quotes, backslash escapes in double quotes.
 */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < command.length; i += 1) {
    const c = command[i] ?? '';
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in: ${command}`);
      word += command.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      i += 1;
      while (i < command.length && command[i] !== '"') {
        if (command[i] === '\\' && i + 1 < command.length) i += 1;
        word += command[i];
        i += 1;
      }
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Every `curl` command of every ```sh block; an option it does not know fails the test. */
export function readmeCurls(readme: string): CurlCommand[] {
  const out: CurlCommand[] = [];
  for (const match of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const block = (match[1] ?? '').replace(/\\\n\s*/g, '');
    const blockLine = lineOf(readme, match.index ?? 0) + 1;
    block.split('\n').forEach((raw, i) => {
      const text = raw.replace(/\s+#.*$/, '').trim();
      if (!text.startsWith('curl ')) return;
      out.push({ ...parseCurl(shellWords(text).slice(1)), text, line: blockLine + i });
    });
  }
  return out;
}

function parseCurl(words: string[]): Omit<CurlCommand, 'text' | 'line'> {
  const cmd: Omit<CurlCommand, 'text' | 'line'> = { url: '', headers: {}, form: [], stream: false };
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i] ?? '';
    const next = (): string => {
      i += 1;
      const value = words[i];
      if (value === undefined) throw new Error(`curl ${word} needs a value`);
      return value;
    };
    if (word === '-s') continue;
    else if (word === '-N') cmd.stream = true;
    else if (word === '-H') {
      const header = next();
      const colon = header.indexOf(':');
      cmd.headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
    } else if (word === '-d') cmd.data = next();
    else if (word === '-F') {
      const field = next();
      const eq = field.indexOf('=');
      const name = field.slice(0, eq);
      const value = field.slice(eq + 1);
      cmd.form.push(value.startsWith('@') ? { name, file: value.slice(1) } : { name, value });
    } else if (/^https?:\/\//.test(word)) cmd.url = word;
    else throw new Error(`README curl option not understood by the README test: ${word}`);
  }
  return cmd;
}
