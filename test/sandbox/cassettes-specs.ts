// How each recorded exchange maps onto the sandbox: which token the recording used, what its
// hand-edited placeholders stand for, which hosts are third-party, and every deliberate difference
// between 2018 production and today's contract (docs/upstream.md §7–8), each with its reason.

/** A token the replay puts where the cassette says `?access_token=ACCESSTOKEN`. */
export type TokenKind =
  | 'master'
  | 'member'
  | 'emptyMember'
  | 'expiredMember'
  | 'expiredMaster'
  | 'invalid';

/** What a placeholder value in a recorded form body stands for. */
export type Placeholder =
  | 'member' // an active member with files in the project
  | 'member2' // a second active member
  | 'emptyMember' // an active member without files in the project
  | 'unknownA'
  | 'unknownB' // well-formed ids of nobody
  | 'code' // a fresh authorization code for the recording's redirect URI
  | 'refresh' // a live refresh token
  | 'uploadedFileId'; // the id the replayed direct upload (D7) returned

/** A deliberate difference, asserted to still exist (so a stale entry fails the suite). */
export interface Difference {
  reason: string;
  /** Today's status where 2018 answered another one. */
  status?: number;
  /** Today's exact body where 2018 answered another one. */
  body?: unknown;
  /** Keys today's body has and the recording lacks (at any depth). */
  addedKeys?: string[];
  /** Keys the recording has and today's body lacks (at any depth). */
  removedKeys?: string[];
  /** Keys either may lack (data-dependent, not era-dependent). */
  optionalKeys?: string[];
  /** The response is compared by shape only (ids, URLs and tokens differ by nature). */
  shapeOnly?: boolean;
}

export interface Spec {
  token?: TokenKind;
  values?: Record<string, Placeholder>;
  /** Client credentials sent to /oauth2/token/ (cassettes filter them to XXXXXXXX). */
  client?: 'valid' | 'unknownClient' | 'wrongSecret';
  /** Interactions with third-party hosts, by index, with why they are not replayed. */
  thirdParty?: Record<number, string>;
  differences?: Record<number, Difference>;
}

const LOREM = 'third-party file host (the client-side "remote file" check), not Open Humans';
const INVALID_GRANT_STATUS: Difference = {
  status: 400,
  reason: 'invalid_grant was 401 under oauthlib 2.x (2018); oauthlib >= 3.0 answers 400 (§2.5, §8)',
};
const D7_URL: Difference = {
  shapeOnly: true,
  reason:
    'the presigned URL names the sandbox (path-style /open-humans-production/<key>) instead of the S3 host; ids differ',
};
const SUCCESS_TOKEN: Difference = {
  shapeOnly: true,
  reason: 'tokens are random; the shape and scope are the contract',
};

export const SPECS: Record<string, Spec> = {
  'django-open-humans/refresh.yaml': {
    client: 'valid',
    values: { bar: 'refresh' },
    differences: { 0: SUCCESS_TOKEN },
  },
  'test_delete_file__expired_access_token.yaml': {
    token: 'expiredMember',
    values: { '59319749': 'member' },
  },
  'test_delete_file__invalid_access_token.yaml': {
    token: 'invalid',
    values: { '59319749': 'member' },
  },
  'test_delete_file__valid_access_token.yaml': {
    token: 'master',
    values: { '59319749': 'emptyMember' },
  },
  'test_delete_file_project_member_id_given.yaml': {
    token: 'master',
    values: { '59319749': 'member' },
    differences: {
      0: { shapeOnly: true, reason: "the deleted file ids are the sandbox member's" },
    },
  },
  'test_delete_file_project_member_id_invalid.yaml': { token: 'master' },
  'test_download_file_valid_url.yaml': {
    thirdParty: { 0: "loremipsum.de download used by ohapi's own test, not Open Humans" },
  },
  'test_get_page_invalid_access_token.yaml': {
    token: 'invalid',
    differences: {
      0: {
        body: { detail: 'Invalid token.' },
        reason:
          '2018 exchange-member accepted OAuth2 tokens only and said "credentials not provided"; since PR #1009 (2019) the master-token authenticator answers "Invalid token." (§1.2)',
      },
    },
  },
  'test_get_page_with_results.yaml': {
    token: 'member',
    differences: {
      0: {
        addedKeys: ['count', 'next', 'previous'],
        removedKeys: ['message_permission'],
        shapeOnly: true,
        reason:
          'exchange-member was paginated by PR #1008 (2019) and memberships no longer carry message_permission (§2.3 D3)',
      },
    },
  },
  'test_message_all_members_false_project_member_id_not_none_valid.yaml': {
    token: 'master',
    values: { VALIDPMI1: 'member', VALIDPMI2: 'member2' },
  },
  'test_message_all_members_false_projectmemberid_has_invalid_char.yaml': { token: 'master' },
  'test_message_all_members_false_projectmemberid_has_invalid_digit.yaml': {
    // Placeholders stand for real 8-digit ids (the recorded names are not 8 characters long).
    token: 'master',
    values: { invalidPMI1: 'unknownA', invalidPMI2: 'unknownB' },
  },
  'test_message_all_members_true_project_member_id_none.yaml': { token: 'master' },
  'test_message_expired_access_token.yaml': { token: 'expiredMember' },
  'test_message_invalid_access_token.yaml': { token: 'invalid' },
  'test_message_valid_access_token.yaml': { token: 'member' },
  'test_oauth2_token_exchange__invalid_client.yaml': { client: 'unknownClient' },
  'test_oauth2_token_exchange__invalid_code.yaml': {
    client: 'valid',
    differences: { 0: INVALID_GRANT_STATUS },
  },
  'test_oauth2_token_exchange__invalid_refresh.yaml': {
    client: 'valid',
    differences: { 0: INVALID_GRANT_STATUS },
  },
  'test_oauth2_token_exchange__invalid_secret.yaml': { client: 'wrongSecret' },
  'test_oauth2_token_exchange__valid_code.yaml': {
    client: 'valid',
    values: { CODE: 'code' },
    differences: { 0: SUCCESS_TOKEN },
  },
  'test_oauth2_token_exchange__valid_refresh.yaml': {
    client: 'valid',
    values: { REFRESHTOKEN: 'refresh' },
    differences: { 0: SUCCESS_TOKEN },
  },
  'test_update_data_expired_master_access_token.yaml': { token: 'expiredMaster' },
  'test_update_data_invalid_master_access_token.yaml': { token: 'invalid' },
  'test_update_data_valid_master_access_token.yaml': {
    token: 'master',
    differences: Object.fromEntries(
      [0, 1].map((i) => [
        i,
        {
          shapeOnly: true,
          addedKeys: ['exchange_member'],
          removedKeys: ['message_permission'],
          optionalKeys: ['username'],
          reason:
            'members lost message_permission and gained exchange_member (PR #1009, §5.5); username is present only when shared (all three recorded members shared it)',
        },
      ]),
    ),
  },
  'test_upload_aws_expired_access_token.yaml': {
    token: 'expiredMember',
    values: { validPMI1: 'member' },
  },
  'test_upload_aws_invalid_access_token.yaml': {
    token: 'invalid',
    values: { validPMI1: 'member' },
  },
  'test_upload_aws_invalid_metadata_with_description.yaml': {
    token: 'member',
    values: { VALID_PMI1: 'member' },
  },
  'test_upload_aws_invalid_metadata_without_description.yaml': {
    token: 'member',
    values: { VALID_PMI1: 'member' },
  },
  'test_upload_aws_valid_access_token.yaml': {
    token: 'member',
    values: { VALID_PMI1: 'member', '40110289': 'member', '62525': 'uploadedFileId' },
    differences: { 0: D7_URL },
  },
  'test_upload_file_expired_access_token.yaml': {
    token: 'expiredMember',
    values: { PROJECTMEMBERID: 'member' },
  },
  'test_upload_file_invalid_metadata_with_description.yaml': {
    token: 'member',
    values: { PROJECTMEMBERID: 'member' },
  },
  'test_upload_file_invalid_metadata_without_description.yaml': {
    token: 'member',
    values: { PROJECTMEMBERID: 'member' },
  },
  'test_upload_file_remote_info_not_none_expired_access_token.yaml': {
    token: 'expiredMember',
    values: { PROJECTMEMBERID: 'member' },
    thirdParty: { 0: LOREM },
  },
  'test_upload_file_remote_info_not_none_invalid_access_token.yaml': {
    token: 'invalid',
    values: { PROJECTMEMBERID: 'member' },
    thirdParty: { 0: LOREM },
  },
  'test_upload_file_remote_info_not_none_invalid_metadata.yaml': {
    token: 'member',
    values: { PROJECTMEMBERID: 'member' },
    thirdParty: { 0: LOREM },
  },
  'test_upload_file_remote_info_not_none_invalid_metadata_with_desc.yaml': {
    token: 'member',
    values: { PROJECTMEMBERID: 'member' },
    thirdParty: { 0: LOREM },
  },
  'test_upload_file_remote_info_not_none_matching_file_size.yaml': { thirdParty: { 0: LOREM } },
  'test_upload_file_remote_info_not_none_valid.yaml': { thirdParty: { 0: LOREM } },
  'test_upload_stream_valid.yaml': {
    token: 'member',
    values: { PROJECTMEMBERID: 'member', FILEID: 'uploadedFileId' },
    differences: { 0: D7_URL },
  },
  'test_upload_valid_file_valid_access_token.yaml': {
    token: 'member',
    values: { PROJECTMEMBERID: 'member', FILEID: 'uploadedFileId' },
    differences: { 0: D7_URL },
  },
};

/** Hosts the replay never contacts (and that the specs must name as third-party). */
export const THIRD_PARTY_HOSTS = ['www.loremipsum.de', 'valid_url'];
