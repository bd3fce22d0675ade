import { expect } from 'chai';
import fc from 'fast-check';
import { ScimError } from '../../lib/scim/errors.js';
import type { AttrPath, CompareOperator, Filter, FilterValue } from '../../lib/model/filter.js';
import { parseFilter, parsePatchPath } from '../../lib/scim/filter/parse.js';
import { resolveFilter } from '../../lib/scim/filter/resolve.js';
import { USER_REGISTRY } from '../../lib/model/schemas/registry.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const p = (raw: string): AttrPath => ({ raw });
const cmp = (raw: string, op: CompareOperator, value: FilterValue): Filter => ({
  kind: 'compare',
  op,
  path: p(raw),
  value,
});
const pr = (raw: string): Filter => ({ kind: 'present', path: p(raw) });
const and = (left: Filter, right: Filter): Filter => ({ kind: 'and', left, right });
const or = (left: Filter, right: Filter): Filter => ({ kind: 'or', left, right });
const not = (filter: Filter): Filter => ({ kind: 'not', filter });
const vp = (raw: string, filter: Filter): Filter => ({ kind: 'valuePath', path: p(raw), filter });

function scimError(run: () => unknown): ScimError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(ScimError);
    return error as ScimError;
  }
  throw new Error('expected a ScimError');
}

describe('parseFilter', () => {
  describe('accepts every comparison operator', () => {
    const cases: Array<[string, Filter]> = [
      ['userName eq "bjensen"', cmp('userName', 'eq', 'bjensen')],
      ['userName ne "bjensen"', cmp('userName', 'ne', 'bjensen')],
      ['name.familyName co "O\'Malley"', cmp('name.familyName', 'co', "O'Malley")],
      ['userName sw "J"', cmp('userName', 'sw', 'J')],
      ['emails.value ew "@example.com"', cmp('emails.value', 'ew', '@example.com')],
      ['meta.lastModified gt "2011-05-13T04:42:34Z"', cmp('meta.lastModified', 'gt', '2011-05-13T04:42:34Z')],
      ['meta.lastModified ge "2011-05-13T04:42:34Z"', cmp('meta.lastModified', 'ge', '2011-05-13T04:42:34Z')],
      ['meta.lastModified lt "2011-05-13T04:42:34Z"', cmp('meta.lastModified', 'lt', '2011-05-13T04:42:34Z')],
      ['meta.lastModified le "2011-05-13T04:42:34Z"', cmp('meta.lastModified', 'le', '2011-05-13T04:42:34Z')],
      ['title pr', pr('title')],
    ];
    for (const [text, ast] of cases) it(text, () => expect(parseFilter(text)).to.deep.equal(ast));
  });

  describe('reads operators and keywords case-insensitively', () => {
    const cases: Array<[string, Filter]> = [
      ['userName EQ "a"', cmp('userName', 'eq', 'a')],
      ['title PR', pr('title')],
      ['title pr And userType Pr', and(pr('title'), pr('userType'))],
      ['title pr OR userType pr', or(pr('title'), pr('userType'))],
      ['NOT (title pr)', not(pr('title'))],
    ];
    for (const [text, ast] of cases) it(text, () => expect(parseFilter(text)).to.deep.equal(ast));
  });

  describe('applies precedence not > and > or, left to right, with parentheses overriding it', () => {
    const cases: Array<[string, Filter]> = [
      ['a pr or b pr and c pr', or(pr('a'), and(pr('b'), pr('c')))],
      ['a pr and b pr or c pr', or(and(pr('a'), pr('b')), pr('c'))],
      ['a pr or b pr or c pr', or(or(pr('a'), pr('b')), pr('c'))],
      ['a pr and b pr and c pr', and(and(pr('a'), pr('b')), pr('c'))],
      ['(a pr or b pr) and c pr', and(or(pr('a'), pr('b')), pr('c'))],
      ['not (a pr) and b pr', and(not(pr('a')), pr('b'))],
      ['not(a pr or b pr)', not(or(pr('a'), pr('b')))],
      ['((a pr))', pr('a')],
      ['  a pr\tand\n( b pr )  ', and(pr('a'), pr('b'))],
      ['a pr and(b pr)', and(pr('a'), pr('b'))],
    ];
    for (const [text, ast] of cases) it(text, () => expect(parseFilter(text)).to.deep.equal(ast));
  });

  describe('parses value paths and attribute paths', () => {
    const cases: Array<[string, Filter]> = [
      [
        'emails[type eq "work" and value co "@contoso.com"]',
        vp('emails', and(cmp('type', 'eq', 'work'), cmp('value', 'co', '@contoso.com'))),
      ],
      ['emails[not (type eq "work")]', vp('emails', not(cmp('type', 'eq', 'work')))],
      ['emails[type eq "work"] and userName pr', and(vp('emails', cmp('type', 'eq', 'work')), pr('userName'))],
      [
        'emails[type eq "work"].value eq "x@y.z"',
        vp('emails', and(cmp('type', 'eq', 'work'), cmp('value', 'eq', 'x@y.z'))),
      ],
      [
        'emails[type eq "work" or type eq "home"].value pr',
        vp('emails', and(or(cmp('type', 'eq', 'work'), cmp('type', 'eq', 'home')), pr('value'))),
      ],
      ['name.givenName eq "Barbara"', cmp('name.givenName', 'eq', 'Barbara')],
      ['members.$ref pr', pr('members.$ref')],
      [`${ENTERPRISE}:department eq "Sales"`, cmp(`${ENTERPRISE}:department`, 'eq', 'Sales')],
      [`${ENTERPRISE}:manager.value eq "m1"`, cmp(`${ENTERPRISE}:manager.value`, 'eq', 'm1')],
      [
        `urn:ietf:params:scim:schemas:core:2.0:User:userName sw "a"`,
        cmp('urn:ietf:params:scim:schemas:core:2.0:User:userName', 'sw', 'a'),
      ],
      [`${ENTERPRISE}:manager[value eq "m1"]`, vp(`${ENTERPRISE}:manager`, cmp('value', 'eq', 'm1'))],
    ];
    for (const [text, ast] of cases) it(text, () => expect(parseFilter(text)).to.deep.equal(ast));
  });

  describe('reads JSON values', () => {
    const cases: Array<[string, FilterValue]> = [
      [String.raw`x eq "say \"hi\" \\ \/ \u00e9\t\n"`, 'say "hi" \\ / é\t\n'],
      ['x eq ""', ''],
      ['x eq "a ) ] and or"', 'a ) ] and or'],
      ['x eq true', true],
      ['x eq false', false],
      ['x eq null', null],
      ['x eq 42', 42],
      ['x eq -1.5', -1.5],
      ['x eq 2.5e-7', 2.5e-7],
    ];
    for (const [text, value] of cases) it(text, () => expect(parseFilter(text)).to.deep.equal(cmp('x', 'eq', value)));
  });

  describe("accepts the unquoted values of Microsoft's SCIM validator as strings", () => {
    const cases: Array<[string, Filter]> = [
      ['name.FamilyName eq Employee', cmp('name.FamilyName', 'eq', 'Employee')],
      ['userName sw O', cmp('userName', 'sw', 'O')],
      [
        'meta.Created gt 2015-10-10T14:38:21.8617979-07:00',
        cmp('meta.Created', 'gt', '2015-10-10T14:38:21.8617979-07:00'),
      ],
      ['emails.Value co example.com', cmp('emails.Value', 'co', 'example.com')],
      ['emails[type eq work]', vp('emails', cmp('type', 'eq', 'work'))],
      ['(userName eq bob)', cmp('userName', 'eq', 'bob')],
      ['active eq True', cmp('active', 'eq', 'True')],
      // Digits that would not survive a number round trip stay the client's text.
      ['employeeNumber eq 007', cmp('employeeNumber', 'eq', '007')],
      ['externalId eq 12345678901234567890', cmp('externalId', 'eq', '12345678901234567890')],
    ];
    for (const [text, ast] of cases) it(text, () => expect(parseFilter(text)).to.deep.equal(ast));
  });

  describe('rejects malformed filters with invalidFilter and the position', () => {
    const cases: Array<[string, number, RegExp]> = [
      ['', 1, /attribute path/],
      ['   ', 4, /attribute path/],
      ['userName', 9, /operator/],
      ['userName eq', 12, /a value/],
      ['userName zz "x"', 10, /operator/],
      ['userName eq "x" and', 20, /attribute path/],
      ['userName eq "x" and ()', 22, /attribute path/],
      ['(userName eq "x"', 17, /"\)"/],
      ['userName eq "x")', 16, /end of the filter/],
      ['userName eq "x" title pr', 17, /"and", "or"/],
      ['userName eq "unterminated', 13, /closing quote/],
      [String.raw`userName eq "bad \q escape"`, 13, /JSON string/],
      ['emails[type eq "work"', 22, /"\]"/],
      ['emails[type eq "work"].', 24, /sub-attribute/],
      ['emails[value[type eq "x"] eq "y"]', 13, /nested/],
      ['not userName eq "x"', 5, /operator/],
      ['.userName eq "x"', 1, /attribute path/],
      ['name..givenName eq "x"', 1, /attribute path/],
      ['name.givenName.x eq "x"', 1, /attribute path/],
      ['userName eq (x)', 13, /a value/],
      ['userName eq "x" andtitle pr', 17, /"and", "or"/],
    ];
    for (const [text, position, expected] of cases) {
      it(JSON.stringify(text), () => {
        const error = scimError(() => parseFilter(text));
        expect(error.status).to.equal(400);
        expect(error.scimType).to.equal('invalidFilter');
        expect(error.detail).to.match(expected);
        expect(error.detail).to.contain(`at character ${position}`);
      });
    }
  });

  describe('enforces its limits', () => {
    const nested = (levels: number) => `${'('.repeat(levels)}title pr${')'.repeat(levels)}`;

    it('refuses a filter longer than 4096 characters by default', () => {
      const text = `userName eq "${'a'.repeat(4096)}"`;
      expect(scimError(() => parseFilter(text)).detail).to.match(/limit is 4096/);
      expect(parseFilter(text, { maxLength: 5000 })).to.deep.equal(cmp('userName', 'eq', 'a'.repeat(4096)));
    });

    it('accepts 32 levels of nesting and refuses 33 by default', () => {
      expect(parseFilter(nested(32))).to.deep.equal(pr('title'));
      const error = scimError(() => parseFilter(nested(33)));
      expect(error.scimType).to.equal('invalidFilter');
      expect(error.detail).to.match(/at most 32 levels/);
    });

    it('counts not and value paths as levels too', () => {
      expect(parseFilter('not (emails[type pr])', { maxDepth: 2 })).to.deep.equal(not(vp('emails', pr('type'))));
      expect(scimError(() => parseFilter('not (((title pr)))', { maxDepth: 2 })).detail).to.match(/at most 2 levels/);
    });

    it('keeps long and/or chains flat: they are not nesting', () => {
      const text = Array.from({ length: 300 }, (_, i) => `a${i} pr`).join(' or ');
      expect(() => parseFilter(text)).not.to.throw();
    });
  });

  describe('round-trips any printed filter to the same tree', () => {
    const OPS: CompareOperator[] = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];
    const pathArb = fc
      .constantFrom(
        'userName',
        'name.givenName',
        'members.$ref',
        'x509Certificates',
        'a-b_c',
        `${ENTERPRISE}:manager.value`,
        `${ENTERPRISE}:department`,
      )
      .map(p);
    const subPathArb = fc.constantFrom('value', 'type', 'primary', 'display').map(p);
    const valueArb: fc.Arbitrary<FilterValue> = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
      fc.boolean(),
      fc.constant(null),
    );
    const treeArb = (paths: fc.Arbitrary<AttrPath>, withValuePaths: boolean): fc.Arbitrary<Filter> =>
      fc.letrec<{ filter: Filter }>((tie) => ({
        filter: fc.oneof(
          { depthSize: 'small', withCrossShrink: true },
          fc.record({ kind: fc.constant('present' as const), path: paths }),
          fc.record({
            kind: fc.constant('compare' as const),
            op: fc.constantFrom(...OPS),
            path: paths,
            value: valueArb,
          }),
          fc.record({
            kind: fc.constantFrom('and' as const, 'or' as const),
            left: tie('filter'),
            right: tie('filter'),
          }),
          fc.record({ kind: fc.constant('not' as const), filter: tie('filter') }),
          ...(withValuePaths
            ? [
                fc.record({
                  kind: fc.constant('valuePath' as const),
                  path: pathArb,
                  filter: treeArb(subPathArb, false),
                }),
              ]
            : []),
        ),
      })).filter;

    it('parse(print(ast)) deep-equals ast', () => {
      fc.assert(
        fc.property(treeArb(pathArb, true), (ast) => {
          expect(parseFilter(print(ast), { maxLength: 1e6, maxDepth: 1000 })).to.deep.equal(ast);
        }),
        { numRuns: 500 },
      );
    });
  });
});

describe('parsePatchPath', () => {
  const cases: Array<[string, ReturnType<typeof parsePatchPath>]> = [
    ['userName', { attribute: p('userName') }],
    ['name.givenName', { attribute: p('name.givenName') }],
    [`${ENTERPRISE}:department`, { attribute: p(`${ENTERPRISE}:department`) }],
    ['members[value eq "2819c223"]', { attribute: p('members'), filter: cmp('value', 'eq', '2819c223') }],
    [
      'emails[type eq "work"].value',
      { attribute: p('emails'), filter: cmp('type', 'eq', 'work'), subAttribute: 'value' },
    ],
  ];
  for (const [text, expected] of cases)
    it(`parses ${text}`, () => expect(parsePatchPath(text)).to.deep.equal(expected));

  const bad: Array<[string, number]> = [
    ['', 1],
    ['emails[type eq "work"', 22],
    ['emails]', 7],
    ['emails[type eq "work"].value eq "x"', 30],
    ['emails[type eq "work"]value', 23],
  ];
  for (const [text, position] of bad) {
    it(`refuses ${JSON.stringify(text)} with invalidPath`, () => {
      const error = scimError(() => parsePatchPath(text));
      expect(error.status).to.equal(400);
      expect(error.scimType).to.equal('invalidPath');
      expect(error.detail).to.contain(`at character ${position}`);
    });
  }
});

describe('resolveFilter', () => {
  const resolve = (text: string) => resolveFilter(parseFilter(text), USER_REGISTRY);
  const canonical = (f: Filter) =>
    f.kind === 'compare' || f.kind === 'present' ? f.path.resolved?.canonicalPath : undefined;

  it('resolves paths case-insensitively to their canonical names, URN-qualified or not', () => {
    expect(canonical(resolve('NAME.GIVENNAME eq "x"'))).to.equal('name.givenName');
    expect(canonical(resolve('urn:ietf:params:scim:schemas:core:2.0:User:UserName eq "x"'))).to.equal('userName');
    expect(canonical(resolve(`${ENTERPRISE.toUpperCase()}:Manager.Value eq "x"`))).to.equal(
      `${ENTERPRISE}:manager.value`,
    );
    expect(canonical(resolve('urn:ietf:params:scim:schemas:extension:2.0:Metadata:BadgeColour eq "x"'))).to.equal(
      'urn:ietf:params:scim:schemas:extension:2.0:Metadata:BadgeColour',
    );
  });

  it('reads a bare multi-valued attribute in a comparison as its value sub-attribute, but not in pr', () => {
    expect(canonical(resolve('emails co "@x"'))).to.equal('emails.value');
    expect(canonical(resolve('emails pr'))).to.equal('emails');
  });

  it('resolves paths inside a value path as sub-attributes of it', () => {
    const f = resolve('emails[Type eq "work"].VALUE eq "x"');
    if (f.kind !== 'valuePath' || f.filter.kind !== 'and') throw new Error(`unexpected ${f.kind}`);
    expect([canonical(f.filter.left), canonical(f.filter.right)]).to.deep.equal(['emails.type', 'emails.value']);
  });

  it('coerces values to the attribute type', () => {
    const value = (text: string) => (resolve(text) as Extract<Filter, { kind: 'compare' }>).value;
    expect(value('active eq "True"')).to.equal(true);
    expect(value('active eq False')).to.equal(false);
    expect(value('meta.created gt 2015-10-10T14:38:21.8617979-07:00')).to.equal('2015-10-10T21:38:21.861Z');
    expect(value('meta.created gt "2015-10-10T14:38:21"')).to.equal('2015-10-10T14:38:21.000Z');
    expect(value('title eq 42')).to.equal('42');
  });

  const refused: Array<[string, RegExp]> = [
    ['nosuch eq "x"', /unknown attribute "nosuch"/],
    ['emails[nosuch eq "x"]', /unknown attribute "emails\[nosuch\]"/],
    ['name eq "x"', /complex attribute/],
    ['userName[value eq "x"]', /not a complex attribute/],
    ['active gt true', /boolean/],
    ['emails[primary ge false]', /boolean/],
    ['active eq "yes"', /expected true or false/],
    ['active co "t"', /strings only/],
    ['meta.created eq "yesterday"', /not an RFC 3339 date-time/],
    ['meta.created eq "1"', /not an RFC 3339 date-time/],
    ['x509Certificates.value gt "x"', /binary/],
    ['userName co null', /null/],
    ['password eq "secret"', /cannot be used in a filter/],
  ];
  for (const [text, detail] of refused) {
    it(`refuses ${text} with invalidFilter`, () => {
      const error = scimError(() => resolve(text));
      expect(error.scimType).to.equal('invalidFilter');
      expect(error.detail).to.match(detail);
    });
  }
});

/** Prints with only the parentheses precedence needs, so that the round trip exercises it. */
function print(f: Filter): string {
  switch (f.kind) {
    case 'or':
      return `${print(f.left)} or ${f.right.kind === 'or' ? `(${print(f.right)})` : print(f.right)}`;
    case 'and': {
      const side = (g: Filter, right: boolean) =>
        g.kind === 'or' || (right && g.kind === 'and') ? `(${print(g)})` : print(g);
      return `${side(f.left, false)} and ${side(f.right, true)}`;
    }
    case 'not':
      return `not (${print(f.filter)})`;
    case 'present':
      return `${f.path.raw} pr`;
    case 'compare':
      return `${f.path.raw} ${f.op} ${typeof f.value === 'string' ? JSON.stringify(f.value) : String(f.value)}`;
    case 'valuePath':
      return `${f.path.raw}[${print(f.filter)}]`;
  }
}
