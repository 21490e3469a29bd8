// The browser-like client lives in @platform/testing so that apps' tests can use it too; the demo
// and the end-to-end tests import it from here.
export { BrowserClient, loginWithForm, parseForms, type BrowserRequestOptions, type BrowserResponse, type HtmlForm } from '@platform/testing';
