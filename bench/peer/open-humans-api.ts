/**
 * The peer's data source: one RESTDataSource per request, as Apollo's docs recommend. Its
 * built-in per-request deduplication of GETs is the only "batching" it gets.
 */
import {
  type AugmentedRequest,
  type DataSourceConfig,
  RESTDataSource,
} from '@apollo/datasource-rest';

export interface WirePage<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export interface WireFile {
  id: number;
  basename: string;
  created: string;
  datatypes: string[];
  source_project: string;
  source?: string;
  user?: { id: number | null; name: string | null; username: string | null };
}

export interface WireDataType {
  id: number;
  name: string;
  description: string;
}

export interface WireProject {
  id: number;
  name: string;
}

export interface WireUser {
  username: string;
  name: string;
}

export interface WireMember {
  project_member_id: string;
  file_count: number;
}

export interface WireExchange {
  count: number;
  data: WireFile[];
}

export class OpenHumansAPI extends RESTDataSource {
  constructor(
    baseURL: string,
    private readonly token: string | null,
    config?: DataSourceConfig,
  ) {
    super(config);
    this.baseURL = `${baseURL}/`;
  }

  protected override willSendRequest(_path: string, request: AugmentedRequest): void {
    // The members list only accepts the token as a query parameter (docs/upstream.md §2.3 D2).
    if (this.token && !request.params.has('access_token')) {
      request.headers.authorization = `Bearer ${this.token}`;
    }
  }

  listDataFiles(offset: number, limit: number): Promise<WirePage<WireFile>> {
    return this.get('api/public/datafiles/', {
      params: { offset: String(offset), limit: String(limit) },
    });
  }

  getDataFile(id: string): Promise<WireFile | null> {
    return orNullOn404(this.get(`api/public/datafile/${encodeURIComponent(id)}/`));
  }

  getDataType(id: string): Promise<WireDataType | null> {
    return orNullOn404(this.get(`api/public/datatype/${encodeURIComponent(id)}/`));
  }

  getProject(id: string): Promise<WireProject | null> {
    return orNullOn404(this.get(`api/public/project/${encodeURIComponent(id)}/`));
  }

  getUser(username: string): Promise<WireUser | null> {
    return orNullOn404(this.get(`api/public/member/${encodeURIComponent(username)}/`));
  }

  getOwnProject(): Promise<WireProject> {
    return this.get('api/direct-sharing/project/');
  }

  listMembers(offset: number, limit: number): Promise<WirePage<WireMember>> {
    return this.get('api/direct-sharing/project/members/', {
      params: { access_token: this.token ?? '', offset: String(offset), limit: String(limit) },
    });
  }

  memberFiles(projectMemberId: string, offset: number, limit: number): Promise<WireExchange> {
    return this.get('api/direct-sharing/project/exchange-member/', {
      params: { project_member_id: projectMemberId, offset: String(offset), limit: String(limit) },
    });
  }
}

async function orNullOn404<T>(promise: Promise<T>): Promise<T | null> {
  try {
    return await promise;
  } catch (err) {
    const status = (err as { extensions?: { response?: { status?: number } } }).extensions?.response
      ?.status;
    if (status === 404) return null;
    throw err;
  }
}
