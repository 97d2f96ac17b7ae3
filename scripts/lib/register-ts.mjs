/**
 * Lets a script import kindlab's TypeScript sources directly: they import each other as './x.js'
 * (what tsc emits), which from source are './x.ts'. Import this module before any source module.
 */
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, next) {
    try {
      return next(specifier, context);
    } catch (err) {
      if (specifier.startsWith('.') && specifier.endsWith('.js')) return next(specifier.slice(0, -3) + '.ts', context);
      throw err;
    }
  },
});
