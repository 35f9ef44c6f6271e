import { builder } from './builder.js';
import './query.js';
import './data-file.js';
import './data-type.js';
import './project.js';
import './user.js';

export const schema = builder.toSchema({ sortSchema: true });
