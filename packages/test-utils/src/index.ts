export type { FetchApp } from './serve-app.js'
export { serveApp } from './serve-app.js'
export type { ServedTufRepository, TufRepository, TufRepositoryOptions } from './tuf-repository.js'
export { buildTufRepository, serveTufRepository } from './tuf-repository.js'
