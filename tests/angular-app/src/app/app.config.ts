import { ApplicationConfig, provideAppInitializer, provideBrowserGlobalErrorListeners } from '@angular/core';
import init from 'token-keeper';

export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    // The wasm loads before the app starts. Nothing about it in angular.json: the CLI resolves
    // the package's "es2020" entry, whose init() has the builder ship the .wasm.
    provideAppInitializer(() => init()),
  ]
};
