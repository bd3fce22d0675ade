/**
 * The layers of lib/ (ARCHITECTURE.md), checked by `npm run lint:deps` in CI:
 *   model → store → policy → web → scim | sso | auth → admin → index → cli
 * with runtime/ (options, log, counter stores) and crypto/ (a leaf) beside them, and migrations/ (top level) under the
 * store: it imports only the store's schema helpers and is listed once, in lib/store/migrate.ts. Every folder of lib/ has a rule
 * naming what it must not import; the two entry points (index.ts for hosts, cli/ for the binary) are imported by
 * nothing below them.
 */
const layer = (name, forbidden, comment) => ({
  name: `${name}-imports-only-below`,
  comment,
  severity: 'error',
  from: { path: `^lib/${name}/` },
  to: { path: forbidden },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'No import loops at run time (a store module may name IdentityStore as a type to re-enter it through a transaction).',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    layer(
      'model',
      '^(lib/(?!model/)|views/|migrations/)',
      'The model layer is the bottom: schemas, record types, settings, error values.',
    ),
    layer(
      'store',
      '^(lib/(policy|web|scim|sso|admin|auth|cli)/|views/)',
      'The store never knows HTTP or policy; it takes decided values.',
    ),
    layer(
      'policy',
      '^(lib/(web|scim|sso|admin|auth|cli)/|views/)',
      'Policy decides; the protocols translate its error values.',
    ),
    layer('web', '^lib/(scim|sso|admin|auth|cli)/', 'Shared HTTP helpers sit under every protocol.'),
    layer('scim', '^lib/(sso|admin|cli)/', 'Protocols do not import each other.'),
    layer('sso', '^lib/(scim|admin|cli)/', 'Protocols do not import each other.'),
    layer('auth', '^lib/(scim|sso|admin|cli)/', 'Bearer authentication serves the SCIM router, not the reverse.'),
    layer(
      'runtime',
      '^(lib/(policy|web|scim|sso|admin|auth|cli)/|views/)',
      'Options and logging are read by every layer above the store.',
    ),
    layer(
      'admin',
      '^lib/(cli/|index\\.ts$)',
      'The admin page and API sit over the protocols and under the entry points.',
    ),
    layer(
      'crypto',
      '^(lib/(?!crypto/)|views/)',
      'The secret box is a leaf: it knows node:crypto and nothing of the connector.',
    ),
    layer('cli', '^views/', 'The CLI is the top: it may call anything in lib/, and renders no page.'),
    {
      name: 'migrations-import-only-schema-helpers',
      severity: 'error',
      comment:
        'A migration is a fixed step of the schema: it names tables (store/tables), speaks the dialect and the few ' +
        "store helpers its data steps need, and the model's limits; never policy, options or anything that may change.",
      from: { path: '^migrations/' },
      to: {
        pathNot:
          '^(lib/store/(tables|dialect|drop-columns|sqlite-planner-stats|context|project-user)\\.ts$|lib/model/limits\\.ts$|node_modules/knex/)',
      },
    },
    {
      name: 'one-migration-list',
      severity: 'error',
      comment:
        'The migrations are applied through the one list in lib/store/migrate.ts (identity.migrate(), the CLI, the ' +
        'knexfile); lib/index.ts re-exports the first one for hosts.',
      from: { path: '^(lib/(?!store/migrate\\.ts$|index\\.ts$)|views/|bin/|knexfile\\.ts$|examples/)' },
      to: { path: '^migrations/' },
    },
    {
      name: 'index-is-the-top',
      severity: 'error',
      comment: 'Only the CLI (serve) stands above createIdentityConnector; nothing below imports it.',
      from: { path: '^lib/(?!cli/|index\\.ts$)' },
      to: { path: '^lib/index\\.ts$' },
    },
    {
      name: 'cli-is-an-entry-point',
      severity: 'error',
      comment: 'The CLI is reached from bin/ only: the library never imports its commands or its environment reading.',
      from: { path: '^(lib/(?!cli/)|views/|knexfile\\.ts$)' },
      to: { path: '^lib/cli/' },
    },
    {
      name: 'views-are-templates',
      severity: 'error',
      comment: "Pages render the model's shapes; they import no behaviour.",
      from: { path: '^views/' },
      to: { path: '^lib/(?!model/)' },
    },
    {
      name: 'no-sql-above-store',
      severity: 'error',
      comment: 'Protocol code never writes SQL: no Knex outside the store, runtime options and the CLI.',
      from: { path: '^lib/(model|policy|web|scim|sso|admin|auth)/' },
      to: { path: 'node_modules/knex/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(test|bench|scripts|dist)/' },
  },
};
