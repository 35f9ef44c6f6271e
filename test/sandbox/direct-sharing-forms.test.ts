// Unit tests of the D4/D5 form rules (private_sharing/forms.py) and the Django field semantics the
// direct-sharing endpoints share.
import { describe, expect, it } from 'vitest';
import { parseQueryDict } from '../../sandbox/routes/direct-sharing-common.js';
import {
  cleanBoolean,
  cleanMessageForm,
  cleanOptionalInteger,
  cleanRemoveMembersForm,
  messageSubject,
  type RequestData,
  renderMessage,
} from '../../sandbox/routes/direct-sharing-forms.js';

const active = new Set(['11111111', '22222222', '3333333333333333']);
const isActive = (id: string): boolean => active.has(id);
const form = (text: string): RequestData => parseQueryDict(text);
const json = (values: Record<string, unknown>): RequestData => ({ kind: 'json', values });

describe('message form (D4)', () => {
  it('keeps only the LAST of repeated form-encoded ids (QueryDict.get)', () => {
    const result = cleanMessageForm(
      form('project_member_ids=badbad00&project_member_ids=22222222&message=m'),
      isActive,
    );
    expect(result).toEqual({
      ok: true,
      value: { allMembers: false, projectMemberIds: ['22222222'], subject: '', message: 'm' },
    });
    // …which is why ohapi's 2018 cassette reports only the second id as invalid.
    const bad = cleanMessageForm(
      form('project_member_ids=11111111&project_member_ids=99999999&message=m'),
      isActive,
    );
    expect(bad).toEqual({
      ok: false,
      errors: { project_member_ids: ['Invalid project member ID(s): 99999999'] },
    });
  });

  it('accepts a JSON array or a comma/space/newline separated string', () => {
    const viaJson = cleanMessageForm(
      json({ project_member_ids: ['11111111', '3333333333333333'], message: 'm' }),
      isActive,
    );
    expect(viaJson.ok && viaJson.value.projectMemberIds).toEqual(['11111111', '3333333333333333']);
    const viaText = cleanMessageForm(
      form('project_member_ids=11111111,%2022222222%0A&message=m'),
      isActive,
    );
    expect(viaText.ok && viaText.value.projectMemberIds).toEqual(['11111111', '22222222']);
  });

  it('checks id lengths (8 or 16) before membership', () => {
    expect(cleanMessageForm(form('project_member_ids=1234&message=m'), isActive)).toEqual({
      ok: false,
      errors: { project_member_ids: ['Project member IDs are always 8 digits long.'] },
    });
  });

  it('requires exactly one of all_members and a list, and a message', () => {
    expect(cleanMessageForm(form('message=m'), isActive)).toEqual({
      ok: false,
      errors: { __all__: ['You must specify either all members or provide a list of IDs.'] },
    });
    expect(
      cleanMessageForm(form('all_members=true&project_member_ids=11111111'), isActive),
    ).toEqual({
      ok: false,
      errors: {
        message: ['This field is required.'],
        __all__: ['You must specify either all members or provide a list of IDs but not both.'],
      },
    });
    const all = cleanMessageForm(form('all_members=True&message=m&subject=s'), isActive);
    expect(all).toEqual({
      ok: true,
      value: { allMembers: true, projectMemberIds: [], subject: 's', message: 'm' },
    });
  });

  it("reads booleans like Django's CheckboxInput", () => {
    expect(cleanBoolean(form('a=False'), 'a')).toBe(false);
    expect(cleanBoolean(form('a='), 'a')).toBe(false);
    expect(cleanBoolean(form('a=true'), 'a')).toBe(true);
    expect(cleanBoolean(form('a=0'), 'a')).toBe(true); // the widget maps only 'true'/'false'
    expect(cleanBoolean(json({ a: false }), 'a')).toBe(false);
    expect(cleanBoolean(form(''), 'a')).toBe(false);
  });

  it('substitutes {{ PROJECT_MEMBER_ID }} and builds the subject', () => {
    expect(
      renderMessage('Hi {{ PROJECT_MEMBER_ID }}, {{PROJECT_MEMBER_ID}}{{ other }}!', '12345678'),
    ).toBe('Hi 12345678, 12345678!');
    expect(messageSubject('', 'My Study')).toBe('[Open Humans Project Message] From "My Study"');
    expect(messageSubject('News', 'My Study')).toBe('[Open Humans Project Message] News');
  });
});

describe('remove-members form (D5)', () => {
  it('requires a list and ignores all_members', () => {
    expect(cleanRemoveMembersForm(form('all_members=true'), isActive)).toEqual({
      ok: false,
      errors: { __all__: ['You must provide a list of project member IDs.'] },
    });
    expect(cleanRemoveMembersForm(form('project_member_ids=11111111'), isActive)).toEqual({
      ok: true,
      ids: ['11111111'],
    });
  });

  it('reports a repeated valid id as invalid with an empty list, like production', () => {
    expect(
      cleanRemoveMembersForm(json({ project_member_ids: ['11111111', '11111111'] }), isActive),
    ).toEqual({
      ok: false,
      errors: { project_member_ids: ['Invalid project member ID(s): '] },
    });
  });
});

describe('IntegerField', () => {
  it('accepts whole numbers (and "5.0"), rejects the rest', () => {
    expect(cleanOptionalInteger(form('file_id=12'), 'file_id')).toEqual({ ok: true, value: 12 });
    expect(cleanOptionalInteger(form('file_id=5.0'), 'file_id')).toEqual({ ok: true, value: 5 });
    expect(cleanOptionalInteger(form('file_id='), 'file_id')).toEqual({ ok: true, value: null });
    expect(cleanOptionalInteger(form('file_id=abc'), 'file_id')).toEqual({
      ok: false,
      errors: ['Enter a whole number.'],
    });
  });
});
