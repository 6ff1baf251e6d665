// localStorage under the "sandrun." prefix. Storage may be off (private mode, quota): then the
// page works the same, it just forgets.
const prefix = "sandrun.";

export function load(key) {
  try {
    return localStorage.getItem(prefix + key);
  } catch {
    return null;
  }
}

export function save(key, value) {
  try {
    if (value === null || value === undefined) localStorage.removeItem(prefix + key);
    else localStorage.setItem(prefix + key, value);
  } catch {
    // Full or disabled: nothing to do but keep working.
  }
}
