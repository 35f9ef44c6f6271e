import { builder } from './builder.js';
import './query.js';

export const schema = builder.toSchema({ sortSchema: true });
