// `node --import <this>`: resolves 'electron' to the fake below, so src-main/index.ts can be bootstrapped under
// plain Node (the Electron binary cannot be downloaded on these machines).
import { register } from 'node:module'

register('./hooks.mjs', import.meta.url)
