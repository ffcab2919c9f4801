/**
 * Removes credentials from a text that may quote a connection string (a driver's error message can): the user and
 * password of any `scheme://user:pass@host` become `***`. What the ops endpoints and their logs show passes here.
 */
export function redactSecrets(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1***@');
}
