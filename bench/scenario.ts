/**
 * What Entra does to a SCIM endpoint, in Entra's order, against a Target: the SCIM endpoint
 * over HTTP (http-driver.ts) or the same row writes straight through Knex (raw-baseline.ts).
 * Everything random is seeded, so both targets see the same users, changes and reads.
 */
import { createHash } from 'node:crypto';
import { Recorder, runPool, seededRandom, shuffle, type PhaseResult } from './stats.js';

export const URN_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const URN_ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const URN_PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export type UserDocument = Record<string, unknown> & { userName: string; externalId: string };
export type PatchBody = { schemas: string[]; Operations: Array<Record<string, unknown>> };

/** One implementation per side of the comparison. Lookups answer the id found (or null). */
export interface Target {
  findByUserName(userName: string): Promise<string | null>;
  findByWorkEmail(email: string): Promise<string | null>;
  findByExternalId(externalId: string): Promise<string | null>;
  createUser(document: UserDocument): Promise<string>;
  /** `patch` is what Entra sends; `patched` is the document after it (for the raw side). */
  patchUser(id: string, patch: PatchBody, patched: UserDocument): Promise<void>;
  deleteUser(id: string): Promise<void>;
  createGroup(displayName: string, externalId: string): Promise<string>;
  addMembers(groupId: string, userIds: string[]): Promise<void>;
  /** One page of users in id order (documents fetched). */
  listUsers(startIndex: number, count: number): Promise<void>;
  /** Untimed: how many users are stored (for the last page's startIndex). */
  countUsers(): Promise<number>;
}

/** Row names: the same on both sides, so that ratios pair up. */
export const ROW = {
  initial: 'initial cycle (lookup+create)',
  lookupBeforeCreate: 'user lookup before create (GET filter)',
  create: 'user create (POST /Users)',
  groups: 'groups (create+membership)',
  groupCreate: 'group create (POST /Groups)',
  membership: 'membership add (PATCH /Groups, 100 members)',
  incremental: 'incremental cycle (update+deactivate+delete)',
  update: 'user update (PATCH path-less Replace)',
  deactivate: 'user deactivate (PATCH active False)',
  delete: 'user delete (DELETE /Users)',
  byUserName: 'lookup userName eq',
  byEmail: 'lookup emails[type eq work].value eq',
  byExternalId: 'lookup externalId eq',
  firstPage: 'list first page (startIndex=1, count=100)',
  lastPage: 'list last page (startIndex=total-99, count=100)',
} as const;

/** Which rows are writes (the SCIM/raw ≤ 2.5 target) and which are single-user lookups (p99 target). */
export const WRITE_ROWS: string[] = [
  ROW.initial,
  ROW.create,
  ROW.groups,
  ROW.groupCreate,
  ROW.membership,
  ROW.incremental,
  ROW.update,
  ROW.deactivate,
  ROW.delete,
];
export const LOOKUP_ROWS: string[] = [ROW.byUserName, ROW.byEmail, ROW.byExternalId];

export interface ScenarioOptions {
  users: number;
  groups: number;
  concurrency: number;
  seed: number;
}
/**
 * `group` names the top-level phase a row belongs to (memory is sampled per top-level phase);
 * `cpuMs` is the CPU time the measured process spent while the row's requests ran.
 */
export type ScenarioRow = PhaseResult & { group: string; cpuMs: number; dbCpuMs?: number };
export interface ScenarioHooks {
  onPhase?(group: string): void;
  /** CPU time consumed so far by whatever serves the requests (the child, or this process). */
  cpuMs?(): number;
  /** CPU time consumed so far by the database server (MariaDB's mariadbd), when it runs here. */
  dbCpuMs?(): number;
  /** A timed window (one row, or one interleaved cycle) starts or ends: for splitting a CPU profile. */
  onWindow?(name: string, edge: 'start' | 'end'): void;
}
export interface ScenarioRun {
  rows: ScenarioRow[];
  errorSamples: string[];
  storedUsersAtReads: number;
}

const LOOKUPS_PER_KIND = 2000;
const LIST_PAGES = 100;
const MEMBERS_PER_PATCH = 100;

const GIVEN = [
  'Adele',
  'Alex',
  'Allan',
  'Bianca',
  'Christie',
  'Debra',
  'Diego',
  'Emily',
  'Enrico',
  'Grady',
  'Henrietta',
  'Irvin',
  'Isaiah',
  'Johanna',
  'Joni',
  'José',
  'Lee',
  'Lidia',
  'Lynne',
  'Megan',
  'Miriam',
  'Nestor',
  'Patti',
  'Pradeep',
  'Raul',
  'Sakura',
  'Søren',
  'Zoë',
  'Zrinka',
];
const FAMILY = [
  'Vance',
  'Wilber',
  'Deyoung',
  'Kiehl',
  'Cline',
  'Zeigler',
  'Siciliani',
  'Braun',
  'Isaacs',
  'Archie',
  'Harris',
  'Moreno',
  'Gonzales',
  'Lamb',
  'Sherman',
  'Núñez',
  'Tucker',
  'Olsen',
  'Bowen',
  'Adams',
  'Ogawa',
  'Eriksson',
  'Müller',
  'Kowalski',
  'Nakamura',
  'Okafor',
  'Patel',
  'Rossi',
  'Smith',
  'Svensson',
  'Tanaka',
];
const DEPARTMENTS = [
  'Sales',
  'Marketing',
  'Research & Development',
  'Finance',
  'Legal',
  'Operations',
  'Human Resources',
  'IT',
  'Support',
  'Retail',
];
const TITLES = [
  'Account Manager',
  'Engineer',
  'Product Manager',
  'Designer',
  'Analyst',
  'Director',
  'Consultant',
  'Technician',
  'Accountant',
  'Recruiter',
];
const SITES = [
  { streetAddress: '1 Microsoft Way', locality: 'Redmond', region: 'WA', postalCode: '98052', country: 'US' },
  {
    streetAddress: '10 Rue de la Paix',
    locality: 'Paris',
    region: 'Île-de-France',
    postalCode: '75002',
    country: 'FR',
  },
  { streetAddress: 'Friedrichstraße 123', locality: 'Berlin', region: 'Berlin', postalCode: '10117', country: 'DE' },
  { streetAddress: '2-1 Marunouchi', locality: 'Tokyo', region: 'Tokyo', postalCode: '100-0005', country: 'JP' },
];

const ascii = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();

/** A GUID derived from (seed, kind, i): unique and repeatable. */
export function guid(seed: number, kind: string, i: number): string {
  const h = createHash('md5').update(`${seed}:${kind}:${i}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** User i as Entra's default attribute mapping sends it (objectId → externalId). */
export function userDocument(i: number, seed: number): UserDocument {
  const given = GIVEN[i % GIVEN.length];
  const family = FAMILY[Math.floor(i / GIVEN.length) % FAMILY.length];
  const nick = `${ascii(given)}.${ascii(family)}${i}`;
  const site = SITES[i % SITES.length];
  const phone = String(i % 10000).padStart(4, '0');
  return {
    schemas: [URN_USER, URN_ENTERPRISE],
    externalId: guid(seed, 'user', i),
    userName: `${nick}@contoso.onmicrosoft.com`,
    active: true,
    displayName: `${given} ${family}`,
    title: TITLES[i % TITLES.length],
    preferredLanguage: 'en-US',
    name: { givenName: given, familyName: family, formatted: `${given} ${family}` },
    emails: [
      { primary: true, type: 'work', value: workEmail(i) },
      { type: 'other', value: `${nick}@home.example.org` },
    ],
    phoneNumbers: [
      { type: 'work', value: `+1 425 555 ${phone}` },
      { type: 'mobile', value: `+1 206 555 ${phone}` },
    ],
    addresses: [
      {
        type: 'work',
        primary: true,
        formatted: `${site.streetAddress}, ${site.postalCode} ${site.locality}, ${site.country}`,
        ...site,
      },
    ],
    roles: [{ primary: 'True', type: 'WindowsAzureActiveDirectoryRole', value: 'User' }],
    [URN_ENTERPRISE]: {
      department: DEPARTMENTS[i % DEPARTMENTS.length],
      employeeNumber: String(100000 + i),
      manager: { value: guid(seed, 'user', Math.floor(i / 10)) },
    },
  };
}

export function workEmail(i: number): string {
  const nick = `${ascii(GIVEN[i % GIVEN.length])}.${ascii(FAMILY[Math.floor(i / GIVEN.length) % FAMILY.length])}${i}`;
  return `${nick}@contoso.com`;
}

/** Entra's incremental update: one path-less Replace carrying several attributes. */
export function updatePatch(i: number, seed: number): { patch: PatchBody; patched: UserDocument } {
  const doc = userDocument(i, seed);
  const given = GIVEN[(i + 7) % GIVEN.length];
  const family = (doc.name as { familyName: string }).familyName;
  const title = `Senior ${String(doc.title)}`;
  const department = DEPARTMENTS[(i + 3) % DEPARTMENTS.length];
  const patch: PatchBody = {
    schemas: [URN_PATCH],
    Operations: [
      {
        op: 'Replace',
        value: {
          displayName: `${given} ${family}`,
          title,
          'name.givenName': given,
          [`${URN_ENTERPRISE}:department`]: department,
        },
      },
    ],
  };
  const patched: UserDocument = {
    ...doc,
    displayName: `${given} ${family}`,
    title,
    name: { ...(doc.name as object), givenName: given },
    [URN_ENTERPRISE]: { ...(doc[URN_ENTERPRISE] as object), department },
  };
  return { patch, patched };
}

export function deactivatePatch(i: number, seed: number): { patch: PatchBody; patched: UserDocument } {
  return {
    patch: { schemas: [URN_PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] },
    patched: { ...userDocument(i, seed), active: false },
  };
}

/** Runs the four phases; every request is timed under its row name. */
export async function runScenario(target: Target, o: ScenarioOptions, hooks: ScenarioHooks = {}): Promise<ScenarioRun> {
  const rec = new Recorder();
  const rows: ScenarioRow[] = [];
  const random = seededRandom(o.seed);
  const ids: Array<string | undefined> = new Array(o.users);
  const expectFound = (what: string) => (id: string | null) => {
    if (!id) throw new Error(`${what}: expected one user, found none`);
  };
  /** Times `body`, then adds one row per op plus (when given) a combined row. */
  let currentGroup = '';
  const enter = (group: string) => {
    if (group !== currentGroup) hooks.onPhase?.((currentGroup = group));
  };
  const cpu = () => hooks.cpuMs?.() ?? 0;
  const phase = async (group: string, combined: string | null, ops: string[], body: () => Promise<void>) => {
    enter(group);
    const window = combined ?? ops[0];
    hooks.onWindow?.(window, 'start');
    const started = performance.now();
    const cpuBefore = cpu();
    const dbBefore = hooks.dbCpuMs?.();
    await body();
    const elapsed = performance.now() - started;
    const cpuMs = cpu() - cpuBefore;
    const db = dbBefore === undefined ? {} : { dbCpuMs: hooks.dbCpuMs!() - dbBefore };
    hooks.onWindow?.(window, 'end');
    if (combined) rows.push({ ...rec.result(combined, ops, elapsed), group, cpuMs, ...db });
    for (const op of ops) rows.push({ ...rec.result(op, [op], elapsed), group, cpuMs, ...db });
  };

  // 1. Initial cycle: per user, look it up by userName, then create it.
  const everyone = Array.from({ length: o.users }, (_, i) => i);
  await phase('initial cycle', ROW.initial, [ROW.lookupBeforeCreate, ROW.create], () =>
    runPool(everyone, o.concurrency, async (i) => {
      const doc = userDocument(i, o.seed);
      const found = await rec.time(ROW.lookupBeforeCreate, async () => {
        const id = await target.findByUserName(doc.userName);
        if (id) throw new Error(`lookup before create: ${doc.userName} already exists`);
        return id;
      });
      if (found !== null) return; // the lookup failed: Entra would not create either
      ids[i] = await rec.time(ROW.create, () => target.createUser(doc));
    }),
  );

  // 2. Groups, then memberships in batches of 100 until every user is in two groups.
  const groupIds: Array<string | undefined> = new Array(o.groups);
  const groupNumbers = Array.from({ length: o.groups }, (_, g) => g);
  enter('groups');
  const groupsStarted = performance.now();
  await phase('groups', null, [ROW.groupCreate], () =>
    runPool(groupNumbers, o.concurrency, async (g) => {
      groupIds[g] = await rec.time(ROW.groupCreate, () =>
        target.createGroup(`Bench Group ${String(g).padStart(4, '0')}`, guid(o.seed, 'group', g)),
      );
    }),
  );
  const members: string[][] = groupNumbers.map(() => []);
  everyone.forEach((i) => {
    if (!ids[i] || o.groups === 0) return;
    members[i % o.groups].push(ids[i]);
    if (o.groups > 1) members[(i + 1) % o.groups].push(ids[i]);
  });
  const batches: Array<{ g: number; userIds: string[] }> = [];
  const longest = Math.max(0, ...members.map((m) => m.length));
  for (let start = 0; start < longest; start += MEMBERS_PER_PATCH) {
    for (const g of groupNumbers) {
      // round-robin over groups: concurrent PATCHes rarely hit the same group
      const userIds = members[g].slice(start, start + MEMBERS_PER_PATCH);
      if (userIds.length && groupIds[g]) batches.push({ g, userIds });
    }
  }
  await phase('groups', null, [ROW.membership], () =>
    runPool(batches, o.concurrency, async ({ g, userIds }) => {
      await rec.time(ROW.membership, () => target.addMembers(groupIds[g]!, userIds));
    }),
  );
  const groupsCpuMs = rows.slice(-2).reduce((n, row) => n + row.cpuMs, 0);
  rows.splice(rows.length - 2, 0, {
    ...rec.result(ROW.groups, [ROW.groupCreate, ROW.membership], performance.now() - groupsStarted),
    group: 'groups',
    cpuMs: groupsCpuMs,
  });

  // 3. Incremental cycle: 10 % updated, 1 % deactivated, 0.5 % deleted (disjoint, mixed order).
  const created = shuffle(
    everyone.filter((i) => ids[i]),
    random,
  );
  const nUpdate = Math.ceil(o.users * 0.1);
  const nDeactivate = Math.ceil(o.users * 0.01);
  const nDelete = Math.ceil(o.users * 0.005);
  const changes = shuffle(
    [
      ...created.slice(0, nUpdate).map((i) => ({ i, kind: ROW.update })),
      ...created.slice(nUpdate, nUpdate + nDeactivate).map((i) => ({ i, kind: ROW.deactivate })),
      ...created.slice(nUpdate + nDeactivate, nUpdate + nDeactivate + nDelete).map((i) => ({ i, kind: ROW.delete })),
    ],
    random,
  );
  const deleted = new Set<number>();
  await phase('incremental cycle', ROW.incremental, [ROW.update, ROW.deactivate, ROW.delete], () =>
    runPool(changes, o.concurrency, async ({ i, kind }) => {
      const id = ids[i]!;
      if (kind === ROW.delete) {
        deleted.add(i);
        await rec.time(kind, () => target.deleteUser(id));
        return;
      }
      const { patch, patched } = kind === ROW.update ? updatePatch(i, o.seed) : deactivatePatch(i, o.seed);
      await rec.time(kind, () => target.patchUser(id, patch, patched));
    }),
  );

  // 4. Reads: each kind on its own, so its rate and latency are its own.
  const alive = created.filter((i) => !deleted.has(i));
  const sample = () => shuffle([...alive], random).slice(0, Math.min(LOOKUPS_PER_KIND, alive.length));
  await phase('reads', null, [ROW.byUserName], () =>
    runPool(sample(), o.concurrency, async (i) => {
      await rec.time(ROW.byUserName, () =>
        target.findByUserName(userDocument(i, o.seed).userName).then(expectFound(ROW.byUserName)),
      );
    }),
  );
  await phase('reads', null, [ROW.byEmail], () =>
    runPool(sample(), o.concurrency, async (i) => {
      await rec.time(ROW.byEmail, () => target.findByWorkEmail(workEmail(i)).then(expectFound(ROW.byEmail)));
    }),
  );
  await phase('reads', null, [ROW.byExternalId], () =>
    runPool(sample(), o.concurrency, async (i) => {
      await rec.time(ROW.byExternalId, () =>
        target.findByExternalId(guid(o.seed, 'user', i)).then(expectFound(ROW.byExternalId)),
      );
    }),
  );
  const total = await target.countUsers();
  const pages = Array.from({ length: LIST_PAGES }, (_, k) => k);
  await phase('reads', null, [ROW.firstPage], () =>
    runPool(pages, o.concurrency, async () => {
      await rec.time(ROW.firstPage, () => target.listUsers(1, 100));
    }),
  );
  await phase('reads', null, [ROW.lastPage], () =>
    runPool(pages, o.concurrency, async () => {
      await rec.time(ROW.lastPage, () => target.listUsers(Math.max(1, total - 99), 100));
    }),
  );

  return { rows, errorSamples: rec.errorSamples, storedUsersAtReads: total };
}
