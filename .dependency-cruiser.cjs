/**
 * The dependency rules `npm test` enforces (`npm run check:deps`): imports run one way.
 * The library never imports the CLI; no cycles anywhere; the CLI uses the library only
 * through its published entry points (`voicelake`, `voicelake/<subpath>`), never its files.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: one of the modules must move down a layer.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'library-not-cli',
      severity: 'error',
      comment: 'The library (write side) may not import anything from the CLI (read side).',
      from: { path: '^packages/voicelake/' },
      to: { path: '^packages/cli/|(^|/)node_modules/voicelake-cli/' },
    },
    {
      name: 'cli-through-public-exports',
      severity: 'error',
      comment: 'The CLI uses the library only through its package exports, not by relative path.',
      from: { path: '^packages/cli/src/' },
      to: { path: '^packages/voicelake/src/' },
    },
    {
      name: 'collect-through-public-exports',
      severity: 'error',
      comment: 'The collector uses the library only through its package exports, never its files or the CLI.',
      from: { path: '^packages/collect/src/' },
      to: { path: '^packages/(voicelake|cli)/src/|node_modules/(@duckdb|duckdb|commander)/' },
    },
    {
      name: 'library-no-native-or-query-engine',
      severity: 'error',
      comment: 'The library goes into every agent container: no DuckDB, no CLI framework.',
      from: { path: '^packages/voicelake/src/' },
      to: { path: 'node_modules/(@duckdb|duckdb|commander)/' },
    },
    {
      name: 'leaves-stay-leaves',
      severity: 'error',
      comment: 'Leaf modules (outcomes, errors, event-log, record-window) import nothing above them.',
      from: { path: '^packages/voicelake/src/(outcomes|errors|record-window)\\.ts$' },
      to: { path: '^packages/voicelake/src/(?!event\\.ts|schema\\.ts)' },
    },
    {
      name: 'spool-below-delivery',
      severity: 'error',
      comment: 'The spool is a log: it knows nothing of destinations, sinks or the Analytics class.',
      from: { path: '^packages/voicelake/src/spool/' },
      to: { path: '^packages/voicelake/src/(destination|analytics|adoption|sinks/|livekit/)' },
    },
    {
      name: 'sinks-below-delivery',
      severity: 'error',
      comment: 'Sinks turn records into requests; they do not know the log, the loop or the Analytics class.',
      from: { path: '^packages/voicelake/src/sinks/' },
      to: { path: '^packages/voicelake/src/(destination|analytics|adoption|event-log|memory-log|spool/|livekit/)' },
    },
    {
      name: 'cli-lake-is-the-bottom',
      severity: 'error',
      comment:
        'lake/ owns the lake model (location, bucket and prefix rules, key <-> day, the compacted layout and its reading, the engines); every other part of the CLI depends on it, and nothing flows back up.',
      from: { path: '^packages/cli/src/lake/' },
      to: {
        path: '^packages/cli/src/(?!lake/|env\\.ts$|format\\.ts$|output\\.ts$)',
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)dist/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'types', 'default'] },
  },
};
