// One command as a client of the front door sends it (native-bindings/client/warm-proto.h):
// NUL-terminated strings — entry, cwd, umask (octal), argc, argv…, then the environment.
export interface WarmCommand {
  entry: string;
  cwd: string;
  umask: number;
  argv: string[];
  env: Record<string, string>;
}

export function parseCommand(body: Buffer): WarmCommand {
  const parts = body.toString('utf8').split('\0');
  if (parts.at(-1) === '') parts.pop();
  const [entry = 'cli', cwd = '/', umask = '22', argc = '0'] = parts;
  const n = Number(argc);
  const argv = parts.slice(4, 4 + n);
  const env: Record<string, string> = {};
  for (const kv of parts.slice(4 + n)) {
    const eq = kv.indexOf('=');
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return { entry, cwd, umask: parseInt(umask, 8), argv, env };
}
