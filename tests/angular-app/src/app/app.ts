import { Component, inject, signal } from '@angular/core';
import { decodeJwt } from 'token-keeper';
import { Session } from './session';

@Component({
  selector: 'app-root',
  template: `
    <h1>Angular consumer</h1>
    <p id="status">{{ session.status() }}</p>
    <button id="login" (click)="login()">Sign in</button>
    <button id="call" (click)="call()">Call the API</button>
    <button id="logout" (click)="logout()">Sign out</button>
    <!-- A property, not {{ }}: the test empties the element between two calls, which would
         leave an interpolation writing to a text node no longer in the page. -->
    <pre id="result" [textContent]="result()"></pre>
  `,
})
export class App {
  protected readonly session = inject(Session);
  protected readonly result = signal('');

  protected async login() {
    const keeper = this.session.keeper;
    const claims = await keeper.login({ username: 'alice', password: 'wonderland' });
    this.result.set(`iss ${decodeJwt(keeper.accessToken()!).iss}, sub ${claims.sub}`);
  }

  protected async call() {
    const response = await this.session.keeper.fetch('/api/me');
    this.result.set(`${response.status} ${JSON.stringify(await response.json())}`);
  }

  protected logout() {
    return this.session.keeper.logout();
  }
}
