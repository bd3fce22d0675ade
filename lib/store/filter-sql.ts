/**
 * Compiles a resolved SCIM filter into a WHERE clause over the users or groups table.
 *
 * Every predicate is two-valued (a NULL column makes it false, never unknown), so `not` and
 * `ne` are plain negations and an absent attribute matches `ne` (RFC 7644 §3.4.2.2). Values
 * are always bound parameters. Multi-valued attributes become `id IN (SELECT … )` over their
 * child rows, scoped by connector so that MariaDB can use the (connector_id, …) indexes; a
 * value path puts all of its conditions on the same child row.
 */
import type { Knex } from 'knex';
import { StoreError } from './errors.js';
import type { AttrPath, CompareOperator, Filter } from '../model/filter.js';
import type { ResolvedAttribute, ResourceKind } from '../model/schemas/registry.js';
import type { StoreContext } from './context.js';
import { isResourceId, KEY_LENGTH, normalizeKey } from './keys.js';
import { VALUE_ATTRIBUTES } from './project-user.js';

type Where = Knex.QueryBuilder;
/**
 * Adds one condition to a builder. Knex runs where-callbacks only when the query compiles, so
 * the filter is first planned into these (every refusal is thrown by applyFilter itself) and
 * the planned conditions only write SQL.
 */
type Emit = (w: Where) => void;
type Leaf =
  | { kind: 'present'; path: AttrPath }
  | { kind: 'compare'; op: Exclude<CompareOperator, 'ne'>; path: AttrPath; value: string | number | boolean };
type ValuePath = Extract<Filter, { kind: 'valuePath' }>;

/**
 * How a stored expression compares with a filter value: `key` columns already hold
 * normalizeKey(value); `lower` ones are lowered in SQL; `epoch` holds milliseconds; `version`
 * holds the integer behind a `W/"n"` ETag; `id` columns compare exactly, and only ever equal a
 * well-formed id (MariaDB's PAD SPACE would let `<id> ` equal `<id>`).
 */
type Mode = 'key' | 'lower' | 'exact' | 'id' | 'epoch' | 'bool' | 'version';
interface Column {
  sql: string;
  bindings: string[];
  mode: Mode;
  notNull?: boolean;
}
/** A value the store does not keep because it is the same for every row (meta.resourceType). */
interface Constant {
  constant: string;
}
type Operand = Column | Constant;

interface Env {
  ctx: StoreContext;
  kind: ResourceKind;
  alias: string;
  connectorId: string;
}

/** Child rows of one multi-valued attribute: `match` keeps the parents with a row passing `rowFilter`. */
interface RowSource {
  match(rowFilter?: Emit): Emit;
  column(subAttribute: string): Operand | undefined;
}

const TEXT_MODES = new Set<Mode>(['key', 'lower', 'exact', 'id']);
const SQL_OPERATORS = { eq: '=', gt: '>', ge: '>=', lt: '<', le: '<=' } as const;

type ColumnSpec = [column: string, mode: Mode, notNull?: true];
const COMMON_COLUMNS: Record<string, ColumnSpec> = {
  id: ['id', 'id', true],
  externalId: ['external_id', 'exact'],
  'meta.created': ['created_at', 'epoch', true],
  'meta.lastModified': ['updated_at', 'epoch', true],
  'meta.version': ['version', 'version', true],
};
const COLUMNS: Record<ResourceKind, Record<string, ColumnSpec>> = {
  User: {
    ...COMMON_COLUMNS,
    userName: ['user_name_key', 'key', true],
    displayName: ['display_name_key', 'key'],
    'name.givenName': ['given_name', 'lower'],
    'name.familyName': ['family_name', 'lower'],
    title: ['title', 'lower'],
    userType: ['user_type', 'lower'],
    locale: ['locale', 'lower'],
    preferredLanguage: ['preferred_language', 'lower'],
    active: ['active', 'bool', true],
  },
  Group: {
    ...COMMON_COLUMNS,
    displayName: ['display_name_key', 'key', true],
  },
};

/**
 * Adds `AND (<filter>)` to a query over the users (`kind` User) or groups table aliased `alias`.
 * Throws StoreError `invalid_query` (SCIM: invalidFilter) for what the store cannot answer.
 */
export function applyFilter(
  qb: Where,
  filter: Filter,
  kind: ResourceKind,
  ctx: StoreContext,
  alias: string,
  connectorId: string,
): void {
  const env: Env = { ctx, kind, alias, connectorId };
  const emit = plan(
    filter,
    (leaf) => resourceLeaf(env, leaf),
    (valuePath) => planValuePath(env, valuePath),
  );
  qb.where(emit);
}

/** The ORDER BY expression for sortBy, or undefined when the attribute is not sortable. */
export function sortExpression(kind: ResourceKind, resolved: ResolvedAttribute, alias: string): string | undefined {
  const spec = resolved.extension ? undefined : COLUMNS[kind][resolved.canonicalPath];
  return spec ? `${alias}.${spec[0]}` : undefined;
}

function plan(filter: Filter, onLeaf: (leaf: Leaf) => Emit, onValuePath?: (f: ValuePath) => Emit): Emit {
  const recurse = (f: Filter) => plan(f, onLeaf, onValuePath);
  switch (filter.kind) {
    case 'and': {
      // Knex ANDs sibling conditions; only `or` needs a group of its own.
      const operands = flatten(filter, 'and').map(recurse);
      return (w) => operands.forEach((emit) => emit(w));
    }
    case 'or': {
      const operands = flatten(filter, 'or').map(recurse);
      return (w) => {
        w.where((group) => {
          for (const emit of operands) group.orWhere(emit);
        });
      };
    }
    case 'not': {
      const inner = recurse(filter.filter);
      return (w) => {
        w.whereNot(inner);
      };
    }
    case 'present':
      return onLeaf(filter);
    case 'compare': {
      const { op, path, value } = filter;
      // `eq null` asks for absence, `ne null` for presence (the resolver allows only these two).
      if (value === null)
        return op === 'eq' ? negate(onLeaf({ kind: 'present', path })) : onLeaf({ kind: 'present', path });
      if (op === 'ne') return negate(onLeaf({ kind: 'compare', op: 'eq', path, value }));
      return onLeaf({ kind: 'compare', op, path, value });
    }
    case 'valuePath':
      if (!onValuePath) throw invalidFilter('value paths cannot be nested');
      return onValuePath(filter);
  }
}

function negate(emit: Emit): Emit {
  return (w) => {
    w.whereNot(emit);
  };
}

function flatten(filter: Filter, kind: 'and' | 'or'): Filter[] {
  return filter.kind === kind ? [...flatten(filter.left, kind), ...flatten(filter.right, kind)] : [filter];
}

function resolvedOf(path: AttrPath): ResolvedAttribute {
  if (!path.resolved) throw new Error(`filter path "${path.raw}" was not resolved: call resolveFilter first`);
  return path.resolved;
}

function unsupported(resolved: ResolvedAttribute): never {
  throw invalidFilter(`filtering on "${resolved.canonicalPath}" is not supported`);
}

function resourceLeaf(env: Env, leaf: Leaf): Emit {
  const resolved = resolvedOf(leaf.path);
  if (resolved.extension) return extensionLeaf(env, resolved, leaf);
  const rows = rowSource(env, resolved.attribute.name);
  if (!rows) return operandLeaf(mainOperand(env, resolved), leaf, resolved);
  const sub = resolved.subAttribute;
  // A bare multi-valued attribute can only be tested for presence (the resolver turns a compare into `.value`).
  return rows.match(sub && operandLeaf(rows.column(sub.name), leaf, resolved));
}

function planValuePath(env: Env, filter: ValuePath): Emit {
  const resolved = resolvedOf(filter.path);
  const rows = resolved.extension ? undefined : rowSource(env, resolved.attribute.name);
  // A single-valued complex attribute (name, manager) has one "row": its sub-attribute paths say it all.
  if (!rows) return plan(filter.filter, (leaf) => resourceLeaf(env, leaf));
  return rows.match(
    plan(filter.filter, (leaf) => {
      const inner = resolvedOf(leaf.path);
      return operandLeaf(rows.column((inner.subAttribute ?? unsupported(inner)).name), leaf, inner);
    }),
  );
}

function mainOperand(env: Env, resolved: ResolvedAttribute): Operand | undefined {
  const spec = COLUMNS[env.kind][resolved.canonicalPath];
  if (spec) return column(`${env.alias}.${spec[0]}`, spec[1], spec[2]);
  if (resolved.canonicalPath === 'meta.resourceType') return { constant: env.kind };
  if (resolved.attribute.name === 'meta') return undefined;
  // Attributes without a column are read from the stored document, whose keys are canonical.
  const mode: Mode = (resolved.subAttribute ?? resolved.attribute).caseExact ? 'exact' : 'lower';
  return documentValue(env, `$.${resolved.canonicalPath}`, mode);
}

/** A value of the stored document (dialect.ts jsonValue). */
function documentValue(env: Env, jsonPath: string, mode: Mode): Column {
  return { sql: env.ctx.idioms.jsonValue('??'), bindings: [`${env.alias}.document`, jsonPath], mode };
}

function column(name: string, mode: Mode, notNull?: boolean): Column {
  return { sql: '??', bindings: [name], mode, notNull };
}

function rowSource(env: Env, attribute: string): RowSource | undefined {
  const {
    ctx: { db, tables },
    alias,
    connectorId,
  } = env;
  const parentId = `${alias}.id`;
  const source = (columns: Record<string, Operand>, subquery: () => Where): RowSource => ({
    match: (rowFilter) => (w) => {
      w.whereIn(parentId, rowFilter ? subquery().where(rowFilter) : subquery());
    },
    column: (sub) => columns[sub],
  });
  if (env.kind === 'User' && (VALUE_ATTRIBUTES as readonly string[]).includes(attribute)) {
    const v = `${alias}_v`;
    return source(
      {
        value: column(`${v}.value_key`, 'key'),
        display: column(`${v}.display`, 'lower'),
        type: column(`${v}.type`, 'lower'),
        primary: column(`${v}.is_primary`, 'bool', true),
      },
      () =>
        db(`${tables.userValues} as ${v}`)
          .select(`${v}.user_id`)
          .where(`${v}.connector_id`, connectorId)
          .where(`${v}.attribute`, attribute),
    );
  }
  if (env.kind === 'User' && attribute === 'addresses') {
    const a = `${alias}_a`;
    return source(
      {
        formatted: column(`${a}.formatted`, 'lower'),
        streetAddress: column(`${a}.street_address`, 'lower'),
        locality: column(`${a}.locality`, 'lower'),
        region: column(`${a}.region`, 'lower'),
        postalCode: column(`${a}.postal_code`, 'lower'),
        country: column(`${a}.country`, 'lower'),
        type: column(`${a}.type`, 'lower'),
        primary: column(`${a}.is_primary`, 'bool', true),
      },
      () => db(`${tables.userAddresses} as ${a}`).select(`${a}.user_id`).where(`${a}.connector_id`, connectorId),
    );
  }
  if (env.kind === 'User' && attribute === 'groups') {
    const m = `${alias}_gm`;
    const g = `${alias}_g`;
    return source(
      {
        value: column(`${m}.group_id`, 'id', true),
        display: column(`${g}.display_name_key`, 'key', true),
        type: { constant: 'direct' },
      },
      () =>
        db(`${tables.groupMembers} as ${m}`)
          .select(`${m}.user_id`)
          .join(`${tables.groups} as ${g}`, `${g}.id`, `${m}.group_id`)
          .where(`${g}.connector_id`, connectorId),
    );
  }
  if (env.kind === 'Group' && attribute === 'members') {
    const m = `${alias}_gm`;
    const u = `${alias}_u`;
    return source(
      {
        value: column(`${m}.user_id`, 'id', true),
        display: column(`${m}.display`, 'lower'),
        type: { constant: 'User' },
      },
      () =>
        db(`${tables.groupMembers} as ${m}`)
          .select(`${m}.group_id`)
          .join(`${tables.users} as ${u}`, `${u}.id`, `${m}.user_id`)
          .where(`${u}.connector_id`, connectorId),
    );
  }
  return undefined;
}

/**
 * A single-valued extension attribute is read from the stored document (it has no rows: see
 * project-user.ts); a bare complex one (`manager pr`) is present when any sub-attribute is.
 * Values compare as the text a row would have held, case-insensitively, as they always have.
 */
function extensionLeaf(env: Env, resolved: ResolvedAttribute, leaf: Leaf): Emit {
  const { attribute, subAttribute } = resolved;
  if (attribute.multiValued) return extensionRowsLeaf(env, resolved, leaf);
  const leaves = subAttribute
    ? [subAttribute]
    : attribute.type === 'complex'
      ? (attribute.subAttributes ?? [])
      : [attribute];
  const emits = leaves.map((def) => {
    const names = [resolved.schema.id, attribute.name, ...(def === attribute ? [] : [def.name])];
    return operandLeaf(extensionText(env, names, def.type === 'boolean'), leaf, resolved);
  });
  return emits.length === 1
    ? emits[0]
    : (w) => {
        w.where((group) => {
          for (const emit of emits) group.orWhere(emit);
        });
      };
}

/** `$."urn…"."attr"."sub"` as text: booleans as "true"/"false" and numbers as digits, as str() wrote them into rows. */
function extensionText(env: Env, names: string[], boolean: boolean): Column {
  // Metadata keys come from the filter as written (the parser admits only name characters); a
  // quote or backslash could not be put in a JSON path the same way on both databases.
  if (names.some((n) => /["\\]/.test(n)))
    throw invalidFilter('extension attribute names in filters cannot contain quotes or backslashes');
  const path = `$${names.map((n) => `."${n}"`).join('')}`;
  return { sql: env.ctx.idioms.jsonText('??', boolean), bindings: [`${env.alias}.document`, path], mode: 'lower' };
}

/** Multi-valued extension attributes keep one row per value, keyed by schema URN and `attr` / `attr.sub`. */
function extensionRowsLeaf(env: Env, resolved: ResolvedAttribute, leaf: Leaf): Emit {
  const {
    ctx: { db, tables },
    alias,
    connectorId,
  } = env;
  const x = `${alias}_x`;
  const { attribute, subAttribute } = resolved;
  const paths = subAttribute
    ? [`${attribute.name}.${subAttribute.name}`]
    : [attribute.name, ...(attribute.subAttributes ?? []).map((s) => `${attribute.name}.${s.name}`)];
  const value = operandLeaf(column(`${x}.value_key`, 'key'), leaf, resolved);
  return (w) => {
    w.whereIn(
      `${alias}.id`,
      db(`${tables.userExtensions} as ${x}`)
        .select(`${x}.user_id`)
        .where(`${x}.connector_id`, connectorId)
        .where(`${x}.schema_urn`, resolved.schema.id)
        .whereIn(`${x}.attr_path`, paths)
        .where(value),
    );
  };
}

function operandLeaf(operand: Operand | undefined, leaf: Leaf, resolved: ResolvedAttribute): Emit {
  if (!operand) return unsupported(resolved);
  if ('constant' in operand) {
    const sql = leaf.kind === 'present' || constantMatches(operand.constant, leaf) ? '1 = 1' : '1 = 0';
    return (w) => {
      w.whereRaw(sql);
    };
  }
  const { sql, bindings, mode } = operand;
  const text = TEXT_MODES.has(mode);
  if (leaf.kind === 'present') {
    return text
      ? (w) => {
          w.whereRaw(`(${sql} IS NOT NULL AND ${sql} <> '')`, [...bindings, ...bindings]);
        }
      : (w) => {
          w.whereRaw(`${sql} IS NOT NULL`, bindings);
        };
  }
  if (text && String(leaf.value).includes('\u0000'))
    throw invalidFilter('filter values may not contain NUL characters');
  if (mode === 'key' && normalizeKey(String(leaf.value), Infinity).length > KEY_LENGTH)
    throw invalidFilter(`filter values are compared up to ${KEY_LENGTH} characters; this one is longer`);
  const param =
    leaf.op === 'eq' && mode === 'id' && !isResourceId(String(leaf.value)) ? undefined : parameter(mode, leaf.value);
  if (param === undefined)
    return (w) => {
      w.whereRaw('1 = 0');
    };
  const lhs = mode === 'lower' ? `LOWER(${sql})` : sql;
  let predicate: string;
  let arg: string | number = param;
  if (leaf.op === 'co' || leaf.op === 'sw' || leaf.op === 'ew') {
    if (!text) unsupported(resolved);
    const escaped = escapeLike(String(param));
    arg = leaf.op === 'sw' ? `${escaped}%` : leaf.op === 'ew' ? `%${escaped}` : `%${escaped}%`;
    predicate = `${lhs} LIKE ? ESCAPE '!'`;
  } else {
    predicate = `${lhs} ${SQL_OPERATORS[leaf.op]} ?`;
  }
  return operand.notNull
    ? (w) => {
        w.whereRaw(predicate, [...bindings, arg]);
      }
    : (w) => {
        w.whereRaw(`(${sql} IS NOT NULL AND ${predicate})`, [...bindings, ...bindings, arg]);
      };
}

/** The bound value for a comparison; undefined when no stored value can match it. */
function parameter(mode: Mode, value: string | number | boolean): string | number | undefined {
  switch (mode) {
    case 'key':
    case 'lower':
      return normalizeKey(String(value));
    case 'exact':
    case 'id':
      return String(value);
    case 'bool':
      return value === true ? 1 : 0;
    case 'epoch':
      return Date.parse(String(value));
    case 'version': {
      const match = /^(?:W\/)?"?(\d+)"?$/.exec(String(value));
      return match ? Number(match[1]) : undefined;
    }
  }
}

function constantMatches(actual: string, leaf: Extract<Leaf, { kind: 'compare' }>): boolean {
  const a = actual.toLowerCase();
  const v = String(leaf.value).toLowerCase();
  switch (leaf.op) {
    case 'eq':
      return a === v;
    case 'co':
      return a.includes(v);
    case 'sw':
      return a.startsWith(v);
    case 'ew':
      return a.endsWith(v);
    case 'gt':
      return a > v;
    case 'ge':
      return a >= v;
    case 'lt':
      return a < v;
    case 'le':
      return a <= v;
  }
}

/** `!` is the escape character: it means the same on SQLite and MariaDB, unlike a backslash. */
function escapeLike(value: string): string {
  return value.replace(/[!%_]/g, (c) => `!${c}`);
}

function invalidFilter(message: string): StoreError {
  return new StoreError('invalid_query', message, { scimType: 'invalidFilter' });
}
