import { builder } from './builder.js';
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
// Federation entity keys (`@key`); no effect on the standalone schema printed here.
import './federation.js';

export const schema = builder.toSchema({ sortSchema: true });
