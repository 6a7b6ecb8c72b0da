// The page's DOM helpers, shared by every module: elements by id, building them, the status line,
// and byte counts for people.

export const $ = (id) => document.getElementById(id);

export function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

export function button(text, className, label, onClick) {
  const node = el('button', { type: 'button', className, textContent: text });
  node.setAttribute('aria-label', label);
  node.addEventListener('click', onClick);
  return node;
}

export function setStatus(message, isError = false) {
  $('status').textContent = message;
  $('status').classList.toggle('error', isError);
}

/** A 401 has already signed the user out with its own message; do not bury it. */
export function report(error, suffix = '') {
  if (error.status !== 401) setStatus(`${error.message}${suffix}`, true);
}

export function formatBytes(bytes) {
  const power = Math.min(4, Math.floor(Math.log10(Math.max(bytes, 1)) / 3));
  return `${(bytes / 1000 ** power).toFixed(power > 0 ? 1 : 0)} ${['B', 'KB', 'MB', 'GB', 'TB'][power]}`;
}
