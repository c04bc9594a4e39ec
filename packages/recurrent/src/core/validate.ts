/**
 * The rules `core/stack.ts` imports, kept at this path for it until the core's half of the
 * architecture work moves its imports (and its own `checkOptions` / `checkLengths`) to
 * `../validate/`, where every rule now lives. Nothing else imports this file.
 */
export { checkFloats, checkInt, checkOneOf, checkSkip, describe } from '../validate/index.js';
