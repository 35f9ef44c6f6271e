/**
 * Two fixes to the GraphiQL page that `@graphql-yoga/render-graphiql` renders, applied to its
 * HTML once (`graphiql.ts`):
 *
 * 1. Tabs switch on the first click. GraphiQL's tabs are framer-motion `Reorder` items whose
 *    layout animation can leave a stale `transform` on them; its CSS hides it only while the tab
 *    has no focus (`.graphiql-tab:not(:focus-within)`). Pressing a tab focuses it, the stale
 *    offset applies, the tab jumps away from under the pointer, and the click never lands (the
 *    second click works). Tabs are kept in place: dragging still reorders them, without the
 *    tab following the pointer.
 *
 * 2. A reload adds no empty `<untitled>` tab. On start GraphiQL looks among the saved tabs for
 *    one equal to the initial query and variables, and adds a new tab when none is equal; with
 *    no `?query=` in the address (a fresh visit, a bookmark) the initial query is empty, so an
 *    empty tab was added on every visit. Before GraphiQL starts, the initial query and
 *    variables are taken from the saved tab they belong to: the one whose query is in the
 *    address, else the active one. An address whose query no saved tab has (a shared link)
 *    still opens in a new tab, as GraphiQL intends.
 */

/** Where GraphiQL keeps its tabs (its storage namespace `graphiql`, key `tabState`). */
export const TAB_STATE_KEY = 'graphiql:tabState';

const TAB_CSS =
  '<style>/* openhumans-graphql: tabs stay in place (first click switches) */ .graphiql-tab { transform: none !important; }</style>';

const RESTORE_SCRIPT = `<script>
  // openhumans-graphql: start on the saved tab instead of adding an empty one (see graphiql-page-fixes.ts).
  function openHumansRestoreTab(options) {
    try {
      var saved = JSON.parse(window.localStorage.getItem(${JSON.stringify(TAB_STATE_KEY)}) || 'null');
      if (!saved || !Array.isArray(saved.tabs) || saved.tabs.length === 0) return options;
      var inAddress = new URL(window.location.href).searchParams.get('query');
      var tab = inAddress
        ? saved.tabs.find(function (t) { return t && t.query === inAddress; })
        : saved.tabs[saved.activeTabIndex] || saved.tabs[0];
      if (!tab) return options;
      return Object.assign({}, options, {
        query: typeof tab.query === 'string' ? tab.query : undefined,
        variables: typeof tab.variables === 'string' ? tab.variables : undefined,
      });
    } catch (e) {
      return options;
    }
  }
</script>`;

const RENDER_CALL = 'YogaGraphiQL.renderYogaGraphiQL(';

/**
 * The page with both fixes; `optionsJson` is the JSON of the options the page was rendered
 * with (how render-graphiql embeds them). Unchanged when the template is not the one expected
 * (a new render-graphiql version): the browser tests then fail and say so.
 */
export function withPageFixes(html: string, optionsJson: string): string {
  const call = html.lastIndexOf(RENDER_CALL);
  const options = call < 0 ? -1 : html.indexOf(optionsJson, call);
  const head = html.indexOf('</head>');
  if (call < 0 || options < 0 || head < 0 || head > call) return html;
  return (
    html.slice(0, head) +
    TAB_CSS +
    RESTORE_SCRIPT +
    html.slice(head, options) +
    `openHumansRestoreTab(${optionsJson})` +
    html.slice(options + optionsJson.length)
  );
}
