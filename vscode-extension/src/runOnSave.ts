// Matching documents against the `sandrun.runOnSave` setting: each entry is a VS Code language id
// ("python") or a glob ("**/*.py", "scratch/*.c"; a glob without "/" matches the file name only).

/** True when `entry` is a glob rather than a language id. Language ids have no glob or path characters. */
export function isGlob(entry: string): boolean {
  return /[*?[\]{}/.]/.test(entry);
}

/**
 * Compiles a glob to a RegExp over "/"-separated paths: `**` any number of folders, `*` any
 * characters but "/", `?` one such character, `{a,b}` alternatives, `[abc]` a class.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let inGroup = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    switch (c) {
      case '*':
        if (glob[i + 1] === '*') {
          i++;
          if (glob[i + 1] === '/') {
            i++;
            re += '(?:.*/)?';
          } else {
            re += '.*';
          }
        } else {
          re += '[^/]*';
        }
        break;
      case '?':
        re += '[^/]';
        break;
      case '{':
        inGroup++;
        re += '(?:';
        break;
      case '}':
        if (inGroup > 0) {
          inGroup--;
          re += ')';
        } else {
          re += '\\}';
        }
        break;
      case ',':
        re += inGroup > 0 ? '|' : ',';
        break;
      case '[': {
        const end = glob.indexOf(']', i + 1);
        if (end < 0) {
          re += '\\[';
        } else {
          let cls = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
          if (cls.startsWith('!')) {
            cls = '^' + cls.slice(1);
          }
          re += `[${cls}]`;
          i = end;
        }
        break;
      }
      default:
        re += c.replace(/[.+^$()|\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}

/** A document as runOnSave sees it. */
export interface DocInfo {
  languageId: string;
  /** The path relative to its workspace folder, "/"-separated; the absolute path outside any folder. */
  relativePath: string;
}

/** True when one of the `sandrun.runOnSave` entries matches the document. */
export function matchesRunOnSave(entries: readonly string[], doc: DocInfo): boolean {
  const path = doc.relativePath.replace(/\\/g, '/').replace(/^\/+/, '');
  const base = path.slice(path.lastIndexOf('/') + 1);
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') {
      continue;
    }
    if (!isGlob(entry)) {
      if (entry.toLowerCase() === doc.languageId.toLowerCase()) {
        return true;
      }
      continue;
    }
    const re = globToRegExp(entry.replace(/^\.\//, '').replace(/^\/+/, ''));
    if (re.test(entry.includes('/') ? path : base)) {
      return true;
    }
  }
  return false;
}
