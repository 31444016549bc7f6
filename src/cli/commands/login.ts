import type { Command } from 'commander';
import { collect } from './image-groups.js';

async function readStdin(): Promise<string> {
  let s = '';
  for await (const chunk of process.stdin) s += String(chunk);
  return s.replace(/\r?\n$/, '');
}

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('authenticate to a registry')
    .argument('[server]', 'registry host', 'docker.io')
    .option('-u, --username <user>', 'username')
    .option('-p, --password <password>', 'password (prefer --password-stdin)')
    .option('--password-stdin', 'take the password from stdin')
    .option('--insecure-registry <host>', 'allow plain http to this registry (repeatable)', collect, [])
    .action(async (server: string, o: { username?: string; password?: string; passwordStdin?: boolean; insecureRegistry: string[] }) => {
      const { SkiffError } = await import('../../errors.js');
      const host = server.replace(/^https?:\/\//, '').replace(/\/.*$/, '').replace(/^(index\.)?docker\.io$|^registry-1\.docker\.io$/, 'docker.io');
      if (!o.username) throw new SkiffError('EUSAGE', 'a username is required', 'use -u USER with --password-stdin');
      let password = o.password;
      if (o.passwordStdin) {
        if (password) throw new SkiffError('EUSAGE', '--password and --password-stdin are mutually exclusive', 'use one of them');
        password = await readStdin();
      }
      if (!password) throw new SkiffError('EUSAGE', 'a password is required', 'use --password-stdin');
      if (o.password) process.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
      const { RegistryClient } = await import('../../image/registry/client.js');
      const { saveCredentials, authFilePath } = await import('../../image/registry/credentials.js');
      await new RegistryClient(host, { credentials: { username: o.username, password }, insecureRegistries: o.insecureRegistry }).ping();
      saveCredentials(host, { username: o.username, password });
      process.stdout.write(`WARNING! Your password will be stored unencrypted in ${authFilePath()}.\n\nLogin Succeeded\n`);
    });
  program
    .command('logout')
    .description('log out from a registry')
    .argument('[server]', 'registry host', 'docker.io')
    .action(async (server: string) => {
      const { removeCredentials } = await import('../../image/registry/credentials.js');
      const host = server.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
      if (removeCredentials(host)) process.stdout.write(`Removing login credentials for ${host}\n`);
      else process.stdout.write(`Not logged in to ${host}\n`);
    });
}
