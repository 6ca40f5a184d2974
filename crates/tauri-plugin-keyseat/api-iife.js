// The plugin's API for apps with `withGlobalTauri` (no bundler): `window.__TAURI__.keyseat`,
// the same functions as tauri-plugin-keyseat-api (guest-js/index.ts), each invoking one of
// the plugin's commands. The plugin's tests compare both with the command list.
if ('__TAURI__' in window) {
  var __TAURI_PLUGIN_KEYSEAT__ = (function () {
    'use strict';
    const invoke = (cmd, args) => window.__TAURI_INTERNALS__.invoke('plugin:keyseat|' + cmd, args);
    return {
      STATUS_CHANGED: 'keyseat://status-changed',
      status: () => invoke('status'),
      activate: (key) => invoke('activate', { key }),
      deactivate: (force = false) => invoke('deactivate', { force }),
      startTrial: () => invoke('start_trial'),
      releaseInstance: (key, instanceId) => invoke('release_instance', { key, instanceId }),
      fingerprint: () => invoke('fingerprint'),
      seats: (key) => invoke('seats', { key: key ?? null }),
      onStatusChanged: (handler) =>
        window.__TAURI__.event.listen('keyseat://status-changed', (event) => handler(event.payload)),
    };
  })();
  Object.defineProperty(window.__TAURI__, 'keyseat', { value: __TAURI_PLUGIN_KEYSEAT__ });
}
