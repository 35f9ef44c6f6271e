/**
 * Values pinned for the rest of a response. The same upstream object can reach one response
 * through two reads of different age (the token's own project from the project-info endpoint,
 * and again from the public projects list, which is cached longer): a counter that changed
 * between them would show two values for one object. The first value a field resolves for an
 * object is the one every later occurrence of that field in the response repeats.
 */
const byRequest = new WeakMap<object, Map<string, unknown>>();

/**
 * The value this response already gave for `key`, or `value` (then pinned).
 * @param request any object that lives exactly as long as the request (its context).
 */
export function pinForResponse<T>(request: object, key: string, value: T): T {
  let pinned = byRequest.get(request);
  if (!pinned) {
    pinned = new Map();
    byRequest.set(request, pinned);
  }
  if (pinned.has(key)) return pinned.get(key) as T;
  pinned.set(key, value);
  return value;
}
