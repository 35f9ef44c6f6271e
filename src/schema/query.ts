import { builder } from './builder.js';

builder.queryType({
  description: 'Open Humans public data and, with a token, the direct-sharing project graph.',
});
