/**
 * The GraphiQL page the gateway serves carries its two fixes (first-click tabs, no empty tab
 * per visit; the browser test shows they work), and a template it does not recognise is served
 * unchanged rather than broken.
 */
import { describe, expect, it } from 'vitest';
import { withPageFixes } from '../../src/http/graphiql-page-fixes.js';
import { startStack } from '../helpers/stack.js';

describe('GraphiQL page fixes', () => {
  it('are in the served page, around the options the page renders with', async () => {
    const stack = await startStack({ env: { LOG_LEVEL: 'warn' } });
    try {
      const html = await (
        await stack.fetch('/graphql', { headers: { accept: 'text/html' } })
      ).text();
      expect(html).toContain('.graphiql-tab { transform: none !important; }');
      expect(html).toMatch(
        /YogaGraphiQL\.renderYogaGraphiQL\(\s*window\.document\.querySelector\('#root'\),\s*openHumansRestoreTab\(\{/,
      );
      expect(html.indexOf('function openHumansRestoreTab')).toBeLessThan(
        html.indexOf('openHumansRestoreTab({'),
      );
    } finally {
      await stack.close();
    }
  });

  it('leave a page they do not recognise unchanged', () => {
    const page = '<html><head></head><body><script>render({"a":1})</script></body></html>';
    expect(withPageFixes(page, '{"a":1}')).toBe(page);
  });
});
