import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Folder boundaries: layers point one way. The import cycle check (dpdm) runs
 * beside eslint in `npm test`. `group` patterns match the import specifier.
 */
const layer = (name, forbidden, extra = []) => ({
  files: [`src/${name}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...forbidden.map((f) => ({ group: [`**/${f}/**`, `**/${f}`], message: `src/${name} must not import ${f}/ (layers point one way: see eslint.config.js)` })),
          ...extra,
        ],
      },
    ],
  },
});
// Nothing below composition (src/app) and the CLI imports them back, nor the top-level tools/, resources/ and workers/.
const TOP = ['app', 'cli', 'tools', 'resources', 'workers'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // stdout carries JSON-RPC in stdio MCP mode: library code never writes to it.
    files: ['src/**/*.ts', 'tools/**/*.ts', 'resources/**/*.ts', 'prompts/**/*.ts', 'workers/**/*.ts'],
    ignores: ['src/cli/output.ts'],
    rules: { 'no-console': 'error' },
  },
  // The mTLS core decides for every listener and knows none of them.
  layer('core', [...TOP, 'proxy', 'mcp-front', 'mcp', 'supervisor', 'admin', 'protocol', 'connect', 'scan', 'score', 'hub']),
  // The supervisor<->worker protocol: both sides import it; it imports neither.
  layer('protocol', [...TOP, 'proxy', 'mcp-front', 'mcp', 'supervisor', 'admin', 'connect', 'scan', 'score', 'hub']),
  // Listeners: the core and the protocol, never the supervisor, each other or the MCP server.
  layer('proxy', [...TOP, 'mcp-front', 'mcp', 'supervisor', 'admin', 'connect', 'hub']),
  layer('mcp-front', [...TOP, 'proxy', 'mcp', 'supervisor', 'admin', 'hub']),
  // The supervisor starts workers by URL: it imports no listener, and not the admin server.
  layer('supervisor', [...TOP, 'proxy', 'mcp-front', 'mcp', 'admin', 'connect']),
  layer('admin', [...TOP, 'proxy', 'mcp-front', 'mcp', 'connect']),
  layer('mcp', [...TOP, 'proxy', 'mcp-front', 'admin']),
  layer('connect', [...TOP, 'proxy', 'supervisor', 'admin', 'mcp']),
  {
    files: ['tools/**/*.ts', 'resources/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/src/app/**', '**/src/cli/**', '**/workers/**'], message: 'tools/ and resources/ use the registration API, never composition or the CLI' }] },
      ],
    },
  },
);
