// Word lists for synthetic (obviously fake) names. No real people or projects.

export const ADJECTIVES = [
  'amber', 'brisk', 'calm', 'dusty', 'eager', 'fuzzy', 'gentle', 'hazy', 'icy', 'jolly', 'keen',
  'lunar', 'misty', 'nimble', 'olive', 'plucky', 'quiet', 'rusty', 'sunny', 'tidy', 'umber',
  'vivid', 'witty', 'young', 'zesty',
];

export const NOUNS = [
  'otter', 'badger', 'heron', 'lynx', 'marmot', 'newt', 'owl', 'puffin', 'quail', 'raven',
  'seal', 'tapir', 'urchin', 'vole', 'walrus', 'yak', 'zebra', 'beetle', 'crane', 'dingo',
  'egret', 'ferret', 'gecko', 'hare', 'ibis',
];

export const FIRST = ['Ada', 'Ben', 'Cleo', 'Dev', 'Eli', 'Fay', 'Gus', 'Hana', 'Ivo', 'Jun', 'Kai', 'Lea', 'Mo', 'Nia', 'Oz', 'Pia', 'Quin', 'Ria', 'Sol', 'Tao'];
export const LAST = ['Sample', 'Testwell', 'Mockley', 'Fakename', 'Sandbox', 'Demo', 'Example', 'Placeholder'];

/** Datatype tree: [name, parent index or null, uploadable]. Cycled with suffixes past 25. */
export const DATATYPE_TREE: Array<[string, number | null, boolean]> = [
  ['Genome', null, false], ['Microbiome', null, false], ['Activity', null, false],
  ['Location', null, false], ['Survey', null, true],
  ['Whole genome', 0, true], ['Exome', 0, true], ['Genotyping', 0, true],
  ['Gut microbiome', 1, true], ['Skin microbiome', 1, true], ['Home microbiome', 1, true],
  ['Steps', 2, true], ['Heart rate', 2, true], ['Sleep', 2, true],
  ['GPS traces', 3, true], ['Check-ins', 3, true],
  ['Questionnaire', 4, true], ['Diary', 4, true],
  ['SNP array', 7, true], ['Raw reads', 5, true], ['16S OTU counts', 8, true],
  ['Resting heart rate', 12, true], ['Sleep stages', 13, true], ['Daily steps', 11, true],
  ['Mood diary', 17, true],
];

export const PROJECT_WORDS = [
  'Sleep', 'Gut', 'Genome', 'Walk', 'Mood', 'Heart', 'Home', 'Step', 'Air', 'Diet', 'Skin',
  'Pulse', 'Commute', 'Weather', 'Allergy', 'Screen', 'Posture', 'Hydration',
];
export const PROJECT_KINDS = ['Study', 'Tracker', 'Lab', 'Commons', 'Explorer', 'Archive', 'Diary', 'Connect'];

export const TAGS = ['csv', 'json', 'daily', 'raw', 'summary', 'sandbox', 'synthetic', 'v1', 'v2'];
export const EXTENSIONS = ['csv', 'json', 'txt', 'csv.bz2', 'vcf.gz', 'zip'];
