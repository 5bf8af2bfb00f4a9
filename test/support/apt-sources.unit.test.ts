// The mirror debootstrap uses comes from the host's apt sources, in either format.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDeb822Sources, parseSourcesList, pickMirrors } from './apt-sources.js';

test('deb822 sources give the Debian and security mirrors; disabled stanzas are ignored', () => {
  const text = [
    'Types: deb',
    '# http://snapshot.debian.org/archive/debian/20250520T000000Z',
    'URIs: http://mirror.example/debian/',
    'Suites: bookworm bookworm-updates',
    'Components: main',
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
    '',
    'Types: deb',
    'URIs: http://disabled.example/debian',
    'Suites: bookworm',
    'Components: main',
    'Enabled: no',
    '',
    'Types: deb deb-src',
    'URIs: http://security.example/debian-security',
    'Suites: bookworm-security',
    'Components: main contrib',
  ].join('\n');
  assert.deepEqual(pickMirrors(parseDeb822Sources(text)), {
    debian: 'http://mirror.example/debian',
    security: 'http://security.example/debian-security',
  });
});

test('one-line sources skip options, comments, vendor repositories and non-http URIs', () => {
  const text = [
    '# deb http://commented.example/debian bookworm main',
    'deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main',
    'deb cdrom:[Debian GNU/Linux 12]/ bookworm main',
    'deb-src http://src.example/debian bookworm main',
    'deb [arch=amd64 signed-by=/k.gpg] http://ftp.example/debian bookworm main contrib',
  ].join('\n');
  assert.deepEqual(pickMirrors(parseSourcesList(text)), {
    debian: 'http://ftp.example/debian',
    security: 'http://deb.debian.org/debian-security',
  });
});

test('hosts with no Debian source fall back to deb.debian.org', () => {
  const ubuntu = parseSourcesList('deb http://archive.ubuntu.com/ubuntu jammy main restricted');
  assert.deepEqual(pickMirrors(ubuntu), {
    debian: 'http://deb.debian.org/debian',
    security: 'http://deb.debian.org/debian-security',
  });
});
