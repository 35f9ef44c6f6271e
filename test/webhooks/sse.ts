/**
 * A minimal GraphQL-over-SSE client for tests ("distinct connections" mode, as yoga serves it):
 * POST with `Accept: text/event-stream`, then read `event: next` / `event: complete` frames.
 */
export interface SseSubscription<T> {
  status: number;
  /** Resolves with the next `next` payload (data and errors), or null when the stream completed. */
  next(): Promise<{
    data?: T;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  } | null>;
  close(): void;
}

export async function subscribeSse<T = Record<string, unknown>>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<SseSubscription<T>> {
  const controller = new AbortController();
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: {
      accept: 'text/event-stream',
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let done = false;

  const readFrame = async (): Promise<{ event: string; data: string } | null> => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = frame.split('\n');
        const event =
          lines
            .find((l) => l.startsWith('event:'))
            ?.slice(6)
            .trim() ?? 'message';
        const data = lines
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trim())
          .join('\n');
        if (lines.every((l) => l.startsWith(':'))) continue; // keep-alive comment
        return { event, data };
      }
      if (done || !reader) return null;
      const chunk = await reader.read();
      if (chunk.done) {
        done = true;
        continue;
      }
      buffer += decoder.decode(chunk.value, { stream: true });
    }
  };

  return {
    status: res.status,
    async next() {
      for (;;) {
        const frame = await readFrame();
        if (!frame || frame.event === 'complete') return null;
        if (frame.event === 'next' || frame.event === 'message') {
          return JSON.parse(frame.data) as {
            data?: T;
            errors?: { message: string; extensions?: Record<string, unknown> }[];
          };
        }
      }
    },
    close() {
      controller.abort();
    },
  };
}
