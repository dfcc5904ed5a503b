/**
 * The pure part of a release (scripts/release.ts does the git and npm work): versions, the
 * moving major tag, and CHANGELOG.md's sections.
 */

export interface Version {
  major: number;
  minor: number;
  patch: number;
  /** `rc.1` in 1.2.0-rc.1; empty for a release. */
  prerelease: string;
}

const VERSION = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?$/;

export function parseVersion(text: string): Version {
  const m = VERSION.exec(text.trim());
  if (!m) throw new Error(`\`${text}\` is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.4.0 or 1.4.0-rc.1)`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease: m[4] ?? '' };
}

export const formatVersion = (v: Version) => `${v.major}.${v.minor}.${v.patch}${v.prerelease ? `-${v.prerelease}` : ''}`;

/** The version after `current` for `bump` (major, minor, patch) or an explicit version, which must be higher. */
export function nextVersion(current: string, bump: string): string {
  const c = parseVersion(current);
  if (bump === 'major') return formatVersion({ major: c.major + 1, minor: 0, patch: 0, prerelease: '' });
  if (bump === 'minor') return formatVersion({ major: c.major, minor: c.minor + 1, patch: 0, prerelease: '' });
  if (bump === 'patch') return formatVersion({ ...c, patch: c.prerelease ? c.patch : c.patch + 1, prerelease: '' });
  const next = parseVersion(bump);
  if (compareVersions(next, c) <= 0) throw new Error(`${formatVersion(next)} is not higher than the current version ${current}`);
  return formatVersion(next);
}

function compareVersions(a: Version, b: Version): number {
  for (const key of ['major', 'minor', 'patch'] as const) if (a[key] !== b[key]) return a[key] - b[key];
  // A release sorts after its own pre-releases.
  if (a.prerelease === b.prerelease) return 0;
  if (!a.prerelease) return 1;
  if (!b.prerelease) return -1;
  return a.prerelease.localeCompare(b.prerelease, 'en', { numeric: true });
}

/** `v1` for 1.4.0: the tag users pin, moved to every release of that major. None for a pre-release or 0.x. */
export function majorTag(version: string): string | undefined {
  const v = parseVersion(version);
  return v.prerelease || v.major === 0 ? undefined : `v${v.major}`;
}

const UNRELEASED = /^## \[Unreleased\][^\n]*\n/m;

/** The text under a `## ` heading, up to the next one. */
function sectionBody(changelog: string, heading: RegExp): string | undefined {
  const start = heading.exec(changelog);
  if (!start) return undefined;
  const rest = changelog.slice(start.index + start[0].length);
  const end = rest.search(/^## /m);
  return (end === -1 ? rest : rest.slice(0, end)).trim();
}

/**
 * CHANGELOG.md with the Unreleased section turned into `## [version] - date` and a new, empty
 * Unreleased above it. Refuses an empty Unreleased section (notes are what users read) and a
 * version already in the file.
 */
export function cutRelease(changelog: string, version: string, date: string): string {
  if (!UNRELEASED.test(changelog)) throw new Error('CHANGELOG.md has no `## [Unreleased]` section');
  if (!sectionBody(changelog, UNRELEASED)) {
    throw new Error('the Unreleased section of CHANGELOG.md is empty: write what changed for users before releasing');
  }
  if (releaseNotes(changelog, version) !== undefined) throw new Error(`CHANGELOG.md already has a section for ${version}`);
  return changelog.replace(UNRELEASED, `## [Unreleased]\n\n## [${version}] - ${date}\n`);
}

/** The notes of `version` in CHANGELOG.md, or undefined when it has no such section. */
export function releaseNotes(changelog: string, version: string): string | undefined {
  const escaped = version.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return sectionBody(changelog, new RegExp(`^## \\[${escaped}\\][^\\n]*\\n`, 'm'));
}
