import { createMemoryStorage } from './index.js'
import { runStorageContract } from './testing.js'

runStorageContract({ name: 'memory', create: async () => createMemoryStorage() })
