import { projectIdFromLabel } from '../datasources/direct-sharing-wire.js';
import { builder } from './builder.js';
import { ProjectRef } from './refs.js';

/** A source a member shares with the project: another project's data, by its label. */
export interface SharedSource {
  idLabel: string;
  databaseId: number;
}

export const SharedSourceRef = builder.objectRef<SharedSource>('SharedSource').implement({
  // A value type another subgraph may return or @provide (federation only).
  shareable: true,
  description:
    'A source of data (another Open Humans project) whose files a member shares with this project.',
  fields: (t) => ({
    idLabel: t.exposeString('idLabel', {
      description: 'The source label, `direct-sharing-<databaseId>`.',
    }),
    databaseId: t.exposeInt('databaseId', {
      description: 'The Open Humans id of the source project.',
    }),
    project: t.field({
      type: ProjectRef,
      nullable: true,
      description: 'The source project; null when it is not public (e.g. not approved).',
      resolve: (source, _args, ctx) => ctx.loaders.publicProject.load(source.databaseId),
    }),
  }),
});

/**
 * `sources_shared` labels → SharedSource. Current Open Humans only grants project sources
 * (`direct-sharing-<id>`); a label of any other shape names no project and is left out.
 */
export function toSharedSources(labels: readonly string[]): SharedSource[] {
  return labels.flatMap((idLabel) => {
    const databaseId = projectIdFromLabel(idLabel);
    return databaseId === null ? [] : [{ idLabel, databaseId }];
  });
}
