export type { FetchApp } from './serve-app.js'
export { serveApp } from './serve-app.js'
