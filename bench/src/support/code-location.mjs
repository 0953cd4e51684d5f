/**
 * Which part of the system a V8 profile frame's code belongs to, from its script URL: the
 * CPU profile summary and the allocation bench group their figures by it.
 */

/**
 * node:<module>, the npm package under node_modules, apps/<name> or packages/<name>, else the path; '(native)' without a URL.
 * @param {string | undefined} url
 * @returns {string}
 */
export function packageOfUrl(url) {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const workspace = /\/(apps|packages)\/([^/]+)\//.exec(url);
  return workspace ? `${workspace[1]}/${workspace[2]}` : url.replace(/^file:\/\//, '');
}
