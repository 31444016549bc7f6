// The chapter's images, as data. Each image is a list of layers; a layer is Debian packages to
// unpack (their run-time closure, resolved by apt) and/or files written by a small function. A layer
// object used by several images is built once and has one digest everywhere — the book's
// "941f399634ec: Already exists" when a second diamol image is pulled.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './lib/run.js';
import { copy, dir, file, FILES_DIR, readRecipeFile, symlink } from './lib/stage.js';
import type { RunConfig } from './lib/oci-layout.js';

export interface LayerRecipe {
  /** Short name, unique per distinct layer (part of the cache key). */
  name: string;
  /** The image history line, worded like the Dockerfile instruction that would make this layer. */
  createdBy: string;
  debs?: { roots: string[]; exclude?: string[] };
  /** Runs after the packages are unpacked into `stage`. */
  populate?: (stage: string) => void;
}

export interface ImageRecipe {
  registry: string;
  repository: string;
  layers: LayerRecipe[];
  /** Tags; `versionOf` gives the upstream version of a resolved Debian package. */
  tags: (versionOf: (pkg: string) => string) => string[];
  config: (versionOf: (pkg: string) => string) => RunConfig;
}

const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The layer every diamol image starts from, like alpine's: BusyBox, the FHS skeleton and /etc. */
export const OS_LAYER: LayerRecipe = {
  name: 'os',
  createdBy: 'ADD busybox-static (Debian 12) and the /etc skeleton in /',
  debs: { roots: ['busybox-static'] },
  populate(stage) {
    rmSync(join(stage, 'usr'), { recursive: true, force: true }); // only the (pruned) doc tree
    const busybox = join(stage, 'bin', 'busybox');
    for (const d of ['bin', 'dev', 'etc', 'home', 'lib', 'media', 'mnt', 'opt', 'proc', 'root', 'run', 'sbin', 'srv',
      'sys', 'usr', 'usr/bin', 'usr/sbin', 'usr/lib', 'usr/local', 'usr/local/bin', 'usr/local/sbin', 'usr/share',
      'var', 'var/cache', 'var/lib', 'var/log', 'var/spool', 'var/www']) dir(stage, d);
    dir(stage, 'root', 0o700);
    dir(stage, 'tmp', 0o1777);
    dir(stage, 'var/tmp', 0o1777);
    // One symlink per applet, absolute like Alpine's, so `ls -l /bin/sh` explains itself.
    const applets = run(busybox, ['--list-full']).split('\n').map((l) => l.trim()).filter(Boolean);
    // (`linuxrc`, the one applet outside a bin directory, is an initrd's init: not for a container.)
    for (const a of applets) if (a !== 'bin/busybox' && a.includes('/')) symlink(stage, a, '/bin/busybox');
    copy(stage, 'etc/passwd', join(FILES_DIR, 'passwd'));
    copy(stage, 'etc/group', join(FILES_DIR, 'group'));
    copy(stage, 'etc/nsswitch.conf', join(FILES_DIR, 'nsswitch.conf'));
    copy(stage, 'etc/os-release', join(FILES_DIR, 'os-release'));
    file(stage, 'etc/shadow', 'root:*:19000:0:99999:7:::\n', 0o640);
    // Placeholders the engine bind-mounts over (as Docker does); present so the mounts have a target.
    for (const f of ['etc/hosts', 'etc/hostname', 'etc/resolv.conf']) file(stage, f, '');
  },
};

/** diamol/base's second layer: the real image is `alpine` + `apk add curl`. */
const CURL_LAYER: LayerRecipe = {
  name: 'curl',
  createdBy: 'RUN apt-get install curl # Debian 12 curl and the libraries it needs',
  debs: { roots: ['curl'] },
};

const HELLO_COPY: LayerRecipe = {
  name: 'hello-copy',
  createdBy: 'COPY cmd.sh /diamol/cmd.sh',
  populate: (stage) => copy(stage, 'diamol/cmd.sh', join(FILES_DIR, 'cmd.sh'), 0o644),
};

const HELLO_CHMOD: LayerRecipe = {
  name: 'hello-chmod',
  createdBy: 'RUN /bin/sh -c chmod +x cmd.sh',
  populate: (stage) => copy(stage, 'diamol/cmd.sh', join(FILES_DIR, 'cmd.sh'), 0o755),
};

/** Apache's binary needs only apr, apr-util, pcre2 and libc; these serve modules the lab never loads. */
const APACHE_UNUSED = ['libxml2', 'libcurl4', 'liblua5.3-0', 'libjansson4', 'libbrotli1', 'libnghttp2-14', 'libldap-2.5-0',
  'libaprutil1-ldap', 'libaprutil1-dbd-sqlite3', 'libaprutil1-dbd-mysql', 'libaprutil1-dbd-odbc', 'libaprutil1-dbd-pgsql', 'libssl3'];

const APACHE_LAYER: LayerRecipe = {
  name: 'apache',
  createdBy: 'RUN apt-get install apache2-bin media-types # Apache httpd 2.4 from Debian 12',
  debs: { roots: ['apache2-bin', 'media-types'], exclude: APACHE_UNUSED },
};

const APACHE_SETUP: LayerRecipe = {
  name: 'apache-setup',
  createdBy: 'COPY httpd.conf httpd-foreground /usr/local/apache2/',
  populate(stage) {
    // The official httpd image's layout, so the chapter's `cd /usr/local/apache2/htdocs` works.
    dir(stage, 'usr/local/apache2/bin');
    dir(stage, 'usr/local/apache2/logs');
    symlink(stage, 'usr/local/apache2/bin/httpd', '/usr/sbin/apache2');
    copy(stage, 'usr/local/apache2/bin/httpd-foreground', join(FILES_DIR, 'httpd-foreground'), 0o755);
    copy(stage, 'usr/local/apache2/conf/httpd.conf', join(FILES_DIR, 'httpd.conf'));
    // Debian's binary looks for /etc/apache2/apache2.conf by default: point it at the same file,
    // so a bare `httpd -t` or `httpd -k graceful` inside the container finds the configuration.
    file(stage, 'etc/apache2/apache2.conf', 'Include /usr/local/apache2/conf/httpd.conf\n');
  },
};

const HELLO_WEB_HTML: LayerRecipe = {
  name: 'hello-web-html',
  createdBy: 'COPY html/ /usr/local/apache2/htdocs/',
  populate: (stage) => copy(stage, 'usr/local/apache2/htdocs/index.html', join(FILES_DIR, 'index.html')),
};

/** The official httpd image's default page. */
const HTTPD_HTML: LayerRecipe = {
  name: 'httpd-html',
  createdBy: 'COPY htdocs/index.html /usr/local/apache2/htdocs/ # the official image\'s "It works!"',
  populate: (stage) => file(stage, 'usr/local/apache2/htdocs/index.html', '<html><body><h1>It works!</h1></body></html>\n'),
};

const NGINX_LAYER: LayerRecipe = {
  name: 'nginx',
  createdBy: 'RUN apt-get install nginx # nginx from Debian 12',
  debs: { roots: ['nginx'] },
};

const NGINX_SETUP: LayerRecipe = {
  name: 'nginx-setup',
  createdBy: 'COPY nginx.conf /etc/nginx/nginx.conf',
  populate(stage) {
    file(stage, 'etc/nginx/nginx.conf', readRecipeFile('nginx.conf'));
    // As in the official image: the log files are the container's stdout and stderr.
    symlink(stage, 'var/log/nginx/access.log', '/dev/stdout');
    symlink(stage, 'var/log/nginx/error.log', '/dev/stderr');
    dir(stage, 'var/lib/nginx');
    dir(stage, 'var/cache/nginx');
  },
};

/**
 * The chapter pulls `nginx:1.28.0`, which Debian does not package: the lab serves Debian's nginx under
 * that tag too, and says so — a label on the image (`image inspect`) and one line when it is pulled
 * (src/image/lab.ts reads these two labels: the names it stands in for, comma-separated, and the note).
 */
const CHAPTER_NGINX_TAG = '1.28.0';
const STANDS_IN_FOR = 'io.skiff.lab.stands-in-for';
const STAND_IN_NOTE = 'io.skiff.lab.note';

const APACHE_CONFIG: RunConfig = {
  Env: ['PATH=/usr/local/apache2/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HTTPD_PREFIX=/usr/local/apache2'],
  Cmd: ['httpd-foreground'],
  WorkingDir: '/usr/local/apache2',
  ExposedPorts: { '80/tcp': {} },
  StopSignal: 'SIGWINCH', // Apache's graceful stop, as in the official image
};

export const IMAGES: ImageRecipe[] = [
  {
    registry: 'docker.io',
    repository: 'diamol/base',
    layers: [OS_LAYER, CURL_LAYER],
    tags: () => ['latest'],
    config: () => ({ Env: [PATH], Cmd: ['/bin/sh'] }),
  },
  {
    registry: 'docker.io',
    repository: 'diamol/ch02-hello-diamol',
    layers: [OS_LAYER, HELLO_COPY, HELLO_CHMOD],
    tags: () => ['latest'],
    config: () => ({ Env: [PATH], Cmd: ['/bin/sh', '-c', './cmd.sh'], WorkingDir: '/diamol' }),
  },
  {
    registry: 'docker.io',
    repository: 'diamol/ch02-hello-diamol-web',
    layers: [OS_LAYER, APACHE_LAYER, APACHE_SETUP, HELLO_WEB_HTML],
    tags: () => ['latest'],
    config: () => APACHE_CONFIG,
  },
  {
    // The chapter's third part runs the official `httpd`: Debian's Apache in the same layout.
    registry: 'docker.io',
    repository: 'library/httpd',
    layers: [OS_LAYER, APACHE_LAYER, APACHE_SETUP, HTTPD_HTML],
    tags: (v) => [v('apache2-bin'), 'latest'],
    config: (v) => ({
      ...APACHE_CONFIG,
      Env: [...APACHE_CONFIG.Env, `HTTPD_VERSION=${v('apache2-bin')}`],
      Labels: { 'org.opencontainers.image.version': v('apache2-bin'), 'org.opencontainers.image.description': `Apache httpd ${v('apache2-bin')} from Debian 12's apache2-bin package` },
    }),
  },
  {
    registry: 'docker.io',
    repository: 'library/nginx',
    layers: [OS_LAYER, NGINX_LAYER, NGINX_SETUP],
    tags: (v) => [v('nginx'), 'latest', CHAPTER_NGINX_TAG],
    config: (v) => ({
      Env: [PATH, `NGINX_VERSION=${v('nginx')}`],
      Cmd: ['nginx', '-g', 'daemon off;'],
      ExposedPorts: { '80/tcp': {} },
      StopSignal: 'SIGQUIT', // nginx's graceful shutdown, as in the official image
      Labels: {
        'org.opencontainers.image.version': v('nginx'),
        // One image under every tag: the labels tell the truth whichever tag was pulled.
        [STANDS_IN_FOR]: `nginx:${CHAPTER_NGINX_TAG}`,
        [STAND_IN_NOTE]: `Debian 12's nginx ${v('nginx')} stands in for nginx:${CHAPTER_NGINX_TAG} (the offline lab mirror builds from Debian packages)`,
      },
    }),
  },
];

/** Every recipe file, for the builder's input hash. */
export function recipeFiles(): string[] {
  return readdirSync(FILES_DIR).sort().map((f) => join(FILES_DIR, f));
}
