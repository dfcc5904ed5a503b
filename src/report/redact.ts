/**
 * Hides secrets in text meant for people (log lines, summary, replies, the JSON report). Secrets
 * also turn up during a run (assumed-role keys, values read from Secrets Manager), so the list
 * can grow; each is replaced with `***`, longest first so a URL is hidden before its password.
 */
export class Redactor {
  private secrets: string[] = [];

  constructor(initial: readonly string[] = []) {
    for (const secret of initial) this.add(secret);
  }

  add(secret: string): void {
    if (secret.length < 3 || this.secrets.includes(secret)) return;
    this.secrets = [...this.secrets, secret].sort((a, b) => b.length - a.length);
  }

  readonly redact = (text: string): string => this.secrets.reduce((out, secret) => out.split(secret).join('***'), text);
}
