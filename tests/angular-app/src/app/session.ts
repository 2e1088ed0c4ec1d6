import { Injectable, signal } from '@angular/core';
import { TokenKeeper } from 'token-keeper';

/** The app's one keeper (a root service: one per app, not per component), and its state. */
@Injectable({ providedIn: 'root' })
export class Session {
  readonly keeper = new TokenKeeper({
    refreshUrl: '/auth/refresh',
    loginUrl: '/auth/login',
    logoutUrl: '/auth/logout',
  });
  readonly status = signal('loading');

  constructor() {
    this.keeper.on('token', ({ claims }) => this.status.set(`signed in as ${claims.sub}`));
    this.keeper.on('logout', ({ reason }) => this.status.set(`signed out (${reason})`));
    this.keeper.restore().then((restored) => {
      if (!restored) this.status.set('signed out');
    });
  }
}
