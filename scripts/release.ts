/**
 * Releases, in two halves (README, "Releases"):
 *
 *   npm run release -- <major|minor|patch|X.Y.Z> [--push]    a maintainer, on an up-to-date main
 *     checks the tree is clean and dist/ is the build of src/, moves CHANGELOG.md's Unreleased
 *     section under the new version, sets the version (package.json, package-lock.json), commits
 *     "Release vX.Y.Z" and tags it vX.Y.Z (annotated, the notes as message); --push pushes both.
 *
 *   node --import tsx scripts/release.ts notes <tag>          the release workflow
 *     prints the tag's notes from CHANGELOG.md; fails when the tag is not package.json's version
 *     or the changelog has no section for it.
 *   node --import tsx scripts/release.ts major-tag <tag>      the release workflow
 *     prints the major tag to move (v1), or nothing for a pre-release.
 *
 * The GitHub release and the move of the major tag happen in .github/workflows/release.yml, after
 * it has checked dist/ again on a clean runner.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cutRelease, majorTag, nextVersion, parseVersion, releaseNotes } from './release-notes.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHANGELOG = path.join(ROOT, 'CHANGELOG.md');

const run = (cmd: string, args: string[], quiet = false) =>
  execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: quiet ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'inherit'] }).trim();
const packageVersion = () => (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function fail(message: string): never {
  console.error(`release: ${message}`);
  process.exit(1);
}

function notes(tag: string): void {
  const version = tag.replace(/^v/, '');
  parseVersion(version);
  if (packageVersion() !== version) fail(`tag ${tag} does not match package.json's version ${packageVersion()}: tag the commit made by \`npm run release\``);
  const text = releaseNotes(readFileSync(CHANGELOG, 'utf8'), version);
  if (!text) fail(`CHANGELOG.md has no notes for ${version}`);
  process.stdout.write(`${text}\n`);
}

function release(bump: string, push: boolean): void {
  if (run('git', ['status', '--porcelain'])) fail('the working tree has uncommitted changes: commit or stash them first');
  const branch = run('git', ['rev-parse', '--abbrev-ref', 'HEAD']);
  if (branch !== 'main') console.warn(`release: releasing from ${branch}, not main`);

  const version = nextVersion(packageVersion(), bump);
  const tag = `v${version}`;
  if (run('git', ['tag', '--list', tag])) fail(`tag ${tag} exists already`);
  const changelog = cutRelease(readFileSync(CHANGELOG, 'utf8'), version, new Date().toISOString().slice(0, 10));

  // Users run dist/ as committed: it must be the build of the source being tagged.
  console.log('release: building dist/ …');
  run('npm', ['run', 'build', '--silent'], true);
  if (run('git', ['status', '--porcelain', '--', 'dist'])) fail('dist/ is not the build of src/: commit the output of `npm run build` first');

  writeFileSync(CHANGELOG, changelog);
  run('npm', ['version', version, '--no-git-tag-version', '--allow-same-version'], true);
  run('git', ['add', 'CHANGELOG.md', 'package.json', 'package-lock.json']);
  run('git', ['commit', '-q', '-m', `Release ${tag}`]);
  run('git', ['tag', '-a', tag, '--cleanup=whitespace', '-m', `${tag}\n\n${releaseNotes(changelog, version)}`]);
  console.log(`release: committed and tagged ${tag}.`);
  if (push) {
    run('git', ['push', 'origin', 'HEAD', tag]);
    console.log(`release: pushed; the Release workflow publishes ${tag}${majorTag(version) ? ` and moves ${majorTag(version)}` : ''}.`);
  } else {
    console.log(`release: check the commit, then: git push origin HEAD ${tag}`);
  }
}

const args = process.argv.slice(2);
const push = args.includes('--push');
const [command, arg, extra] = args.filter((a) => a !== '--push');
try {
  if (command === 'notes' && arg && !extra) notes(arg);
  else if (command === 'major-tag' && arg && !extra) process.stdout.write(majorTag(arg.replace(/^v/, '')) ?? '');
  else if (command && !arg) release(command, push);
  else fail('usage: npm run release -- <major|minor|patch|X.Y.Z> [--push]');
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
