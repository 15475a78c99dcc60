// Noticing that a file changed on disk, however it was changed. Editors save in place or write a new file
// and rename it over the old one (vim, VS Code, sed -i), so the file's directory is watched for its name,
// not the file's inode; and as fs.watch misses changes on some file systems (network mounts, some
// containers), its status is also polled. Several events for one save come out as one call.
import { type FSWatcher, watchFile as pollFile, type Stats, unwatchFile, watch } from 'node:fs';
import path from 'node:path';

/** Calls `onChange` (settled for `settleMs`) whenever `file` may have changed; returns the stop function. */
export function watchFile(file: string, onChange: () => void, pollMs = 1000, settleMs = 40): () => void {
  const base = path.basename(file);
  let timer: NodeJS.Timeout | undefined;
  const changed = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      onChange();
    }, settleMs);
    timer.unref();
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(path.dirname(file), { persistent: false }, (_event, name) => {
      if (!name || name === base) changed();
    });
    watcher.on('error', () => {});
  } catch {
    // No watching here (a platform or file system without it): polling alone notices changes.
  }
  const polled = (now: Stats, before: Stats) => {
    if (now.mtimeMs !== before.mtimeMs || now.size !== before.size || now.ino !== before.ino) changed();
  };
  pollFile(file, { interval: pollMs, persistent: false }, polled);
  return () => {
    watcher?.close();
    unwatchFile(file, polled);
    if (timer) clearTimeout(timer);
  };
}
