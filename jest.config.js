/** @type {import('jest').Config} */
// Tests import workspace packages from their TypeScript sources, so `jest` needs no prior build.
const workspaces = {
  '@enjambre/bittorrent': 'packages/bittorrent/src',
  '@enjambre/dht': 'packages/dht/src',
  '@enjambre/proto': 'proto/src',
  '@enjambre/tracker': 'services/tracker/src',
  '@enjambre/engine': 'client/engine/src',
  '@enjambre/bridge': 'client/bridge/src',
};
const moduleNameMapper = {};
for (const [name, dir] of Object.entries(workspaces)) {
  moduleNameMapper[`^${name}$`] = `<rootDir>/${dir}`;
  moduleNameMapper[`^${name}/(.*)$`] = `<rootDir>/${dir}/$1`;
}
module.exports = {
  testEnvironment: 'node',
  roots: [
    '<rootDir>/packages',
    '<rootDir>/proto',
    '<rootDir>/services',
    '<rootDir>/client',
    '<rootDir>/test',
  ],
  testMatch: ['**/*.test.ts'],
  // client/web is Angular's: `ng test` (Vitest) runs its specs and `ng build` compiles it.
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/client/web/'],
  modulePathIgnorePatterns: ['<rootDir>/client/web/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.base.json' }] },
  moduleNameMapper,
  testTimeout: 30000,
};
