import { builder } from './builder.js';
import { federationPlugin } from './federation-plugin.js';
import { withSyncNodeIds } from './sync-node-ids.js';
import './query.js';
import './data-file.js';
import './data-type.js';
import './project.js';
import './user.js';
import './shared-source.js';
import './member.js';
import './viewer.js';
import './oauth.js';
import './deauthorization.js';
import './upload.js';
import './data-file-mutations.js';
import './message-mutations.js';

// Federation entity keys (`@key`); no effect on the standalone schema printed here. Only with
// the optional federation plugin installed: the declarations call its builder methods.
if (federationPlugin) await import('./federation.js');

export const schema = withSyncNodeIds(builder.toSchema({ sortSchema: true }));
