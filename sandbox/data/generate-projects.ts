// Synthetic projects: approved public ones (the last is the sandbox's own OAuth2 project), plus
// unapproved ones (the second OAuth2 project, one whose master token has expired, a few more).

import { PROJECT_KINDS, PROJECT_WORDS } from './names.js';
import type { Rng } from './random.js';
import type { DataType, Project, SandboxSizes } from './types.js';

const HOUR = 3_600_000;

export interface MadeProjects {
  projects: Project[];
  own: Project;
  second: Project;
  expired: Project;
}

export function makeProjects(
  rng: Rng,
  sizes: SandboxSizes,
  dataTypes: DataType[],
  opts: { now: number; webhook?: { url: string; secret?: string } },
): MadeProjects {
  const projects: Project[] = [];
  const names = new Set<string>();
  let id = 10;
  const make = (approved: boolean, tweak: Partial<Project> = {}): Project => {
    id += rng.int(1, 20);
    let name = `${rng.pick(PROJECT_WORDS)} ${rng.pick(PROJECT_KINDS)}`;
    while (names.has(name)) name += ' II';
    names.add(name);
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    const p: Project = {
      id,
      name,
      slug,
      active: rng.bool(0.9),
      approved,
      badgeImage: rng.bool(0.7)
        ? `https://open-humans-production.s3.amazonaws.com/direct-sharing/badges/${id}/badge.png`
        : null,
      contactEmail: `${slug}@example.org`,
      infoUrl: rng.bool(0.8) ? `https://example.org/${slug}` : '',
      isAcademicOrNonprofit: rng.bool(0.6),
      isStudy: rng.bool(0.3),
      leader: `Dr. ${name.split(' ')[0] ?? 'Sample'} Lead`,
      longDescription: `${name} is a synthetic sandbox project. It collects nothing real.`,
      organization: `${name.split(' ')[1] ?? 'Sample'} Foundation (sandbox)`,
      registeredDatatypes: rng.sample(
        dataTypes.map((d) => d.id),
        rng.int(1, 4),
      ),
      requestedSources: [],
      requestUsernameAccess: rng.bool(0.5),
      returnedDataDescription: rng.bool(0.5) ? 'Summaries returned to members.' : '',
      shortDescription: `Synthetic ${name.toLowerCase()}.`,
      type: rng.bool(0.7) ? 'oauth2' : 'on-site',
      noPublicData: false,
      anyDatatypes: false,
      autoAddDatatypes: false,
      masterToken: rng.alnum(64),
      masterTokenExpires: opts.now + 24 * HOUR,
      tokenExpirationDisabled: false,
      coordinatorId: 1,
      oauth2: null,
      ...tweak,
    };
    if (p.type === 'oauth2' && !p.oauth2) {
      p.oauth2 = {
        clientId: rng.alnum(40),
        clientSecret: rng.alnum(128),
        redirectUrl: `https://example.org/${slug}/complete/`,
        webhookUrl: '',
        webhookSecret: '',
      };
    }
    projects.push(p);
    return p;
  };

  for (let i = 0; i < Math.max(1, sizes.projects - 1); i++) {
    make(true, i === 3 || i === 11 ? { noPublicData: true } : {});
  }
  const approvedIds = projects.map((p) => p.id);
  for (const p of projects)
    p.requestedSources = rng.sample(
      approvedIds.filter((x) => x !== p.id),
      rng.int(0, 3),
    );

  const own = make(true, {
    active: true,
    type: 'oauth2',
    requestUsernameAccess: true,
    anyDatatypes: false,
    autoAddDatatypes: true,
    requestedSources: rng.sample(approvedIds, 3),
    oauth2: {
      clientId: rng.alnum(40),
      clientSecret: rng.alnum(128),
      redirectUrl: 'http://127.0.0.1:4000/oauth/complete',
      webhookUrl: opts.webhook?.url ?? '',
      webhookSecret: opts.webhook?.secret ?? '',
    },
  });
  const second = make(false, {
    active: true,
    type: 'oauth2',
    requestUsernameAccess: false,
    requestedSources: [],
    oauth2: {
      clientId: rng.alnum(40),
      clientSecret: rng.alnum(128),
      redirectUrl: 'http://127.0.0.1:4001/complete',
      webhookUrl: '',
      webhookSecret: '',
    },
  });
  const expired = make(false, {
    active: true,
    type: 'on-site',
    masterTokenExpires: opts.now - HOUR,
  });
  for (let i = 2; i < sizes.unapprovedProjects; i++) make(false);
  return { projects, own, second, expired };
}
