import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutRelease, majorTag, nextVersion, releaseNotes } from '../../scripts/release-notes.js';
import { PROJECT_ROOT } from '../harness/run-action.js';

const CHANGELOG = `# Changelog

Intro.

## [Unreleased]

### Fixed

- Retry lines name the endpoint.

## [1.0.0] - 2026-11-28

### Added

- Everything.
`;

describe('release versions', () => {
  it('bumps major, minor and patch; an explicit version must be higher', () => {
    expect(nextVersion('1.4.2', 'major')).toBe('2.0.0');
    expect(nextVersion('1.4.2', 'minor')).toBe('1.5.0');
    expect(nextVersion('1.4.2', 'patch')).toBe('1.4.3');
    expect(nextVersion('1.5.0-rc.1', 'patch')).toBe('1.5.0');
    expect(nextVersion('0.1.0', '1.0.0')).toBe('1.0.0');
    expect(() => nextVersion('1.4.2', '1.4.2')).toThrow('not higher than the current version 1.4.2');
    expect(() => nextVersion('1.4.2', 'v2')).toThrow('`v2` is not a semantic version');
  });

  it('moves the major tag users pin (v1) on releases, not on pre-releases', () => {
    expect(majorTag('1.4.2')).toBe('v1');
    expect(majorTag('2.0.0')).toBe('v2');
    expect(majorTag('2.0.0-rc.1')).toBeUndefined();
  });
});

describe('CHANGELOG.md', () => {
  it('a release turns Unreleased into the version\'s section, whose text is the release notes', () => {
    const cut = cutRelease(CHANGELOG, '1.0.1', '2026-12-01');
    expect(cut).toContain('## [Unreleased]\n\n## [1.0.1] - 2026-12-01\n\n### Fixed\n\n- Retry lines name the endpoint.\n\n## [1.0.0]');
    expect(releaseNotes(cut, '1.0.1')).toBe('### Fixed\n\n- Retry lines name the endpoint.');
    expect(releaseNotes(cut, '1.0.0')).toBe('### Added\n\n- Everything.');
    expect(releaseNotes(cut, '1.0')).toBeUndefined();
  });

  it('refuses a release without notes, or one already in the changelog', () => {
    const cut = cutRelease(CHANGELOG, '1.0.1', '2026-12-01');
    expect(() => cutRelease(cut, '1.0.2', '2026-12-02')).toThrow('the Unreleased section of CHANGELOG.md is empty');
    expect(() => cutRelease(CHANGELOG, '1.0.0', '2026-12-02')).toThrow('already has a section for 1.0.0');
  });

  it('the project\'s own changelog has an Unreleased section with notes', () => {
    const own = readFileSync(path.join(PROJECT_ROOT, 'CHANGELOG.md'), 'utf8');
    expect(() => cutRelease(own, '99.0.0', '2026-12-01')).not.toThrow();
  });

  it('the workflow\'s commands: notes of a tag that is not package.json\'s version are refused', () => {
    const script = path.join(PROJECT_ROOT, 'scripts', 'release.ts');
    const run = (...args: string[]) => {
      try {
        return { code: 0, out: execFileSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: 'pipe' }) };
      } catch (error) {
        const e = error as { status: number; stderr: string };
        return { code: e.status, out: e.stderr };
      }
    };
    expect(run('major-tag', 'v1.4.2')).toEqual({ code: 0, out: 'v1' });
    expect(run('major-tag', 'v1.5.0-rc.1')).toEqual({ code: 0, out: '' });
    const notes = run('notes', 'v99.0.0');
    expect(notes.code).toBe(1);
    expect(notes.out).toContain("tag v99.0.0 does not match package.json's version");
  });
});
