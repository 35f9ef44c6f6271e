/**
 * What a client may rely on when paging, appended to each connection's description. Two kinds
 * of list: those Open Humans orders stably get keyed cursors (`cursor-keys.ts`); the others are
 * paged by position, and their items can move while a client pages.
 */

/** For lists with keyed cursors. */
export const KEYED_PAGING =
  ' Cursors remember their item: items added or removed before a cursor while you page ' +
  'neither repeat nor go missing.';

/** For lists Open Humans does not order stably (public file lists, members, member projects). */
export const POSITIONAL_PAGING =
  ' Paged by position: Open Humans does not order this list stably, so an item added or ' +
  'removed while you page can make the next page repeat or miss an item, and items that tie ' +
  'in the order may swap between pages. Within one response the pages agree with `totalCount`.';
