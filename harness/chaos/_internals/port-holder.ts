import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Who listens on a TCP port, read from /proc (Linux): "pid 1234 (node server.js)". undefined when it cannot be
 * found out (another OS, another user's process, a race). Best effort: only for error messages.
 */
export function findPortHolder(port: number): string | undefined {
  try {
    const inodes = new Set<string>();
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      let text: string;
      try {
        text = readFileSync(table, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n').slice(1)) {
        const fields = line.trim().split(/\s+/);
        const local = fields[1];
        if (local === undefined || fields[3] !== '0A') continue; // 0A = LISTEN
        const hexPort = local.split(':')[1];
        if (hexPort !== undefined && parseInt(hexPort, 16) === port && fields[9] !== undefined)
          inodes.add(fields[9]);
      }
    }
    if (inodes.size === 0) return undefined;
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        let target: string;
        try {
          target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          continue;
        }
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode !== undefined && inodes.has(inode)) {
          const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
          return `pid ${pid} (${command.length > 80 ? `${command.slice(0, 77)}…` : command})`;
        }
      }
    }
    return 'a process of another user';
  } catch {
    return undefined;
  }
}
