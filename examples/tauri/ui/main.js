// The example's web side, with no bundler: the plugin's global API
// (`window.__TAURI__.keyseat`, with "withGlobalTauri": true in tauri.conf.json). With a
// bundler, `import { status, activate } from 'tauri-plugin-keyseat-api'` is the same.
const keyseat = window.__TAURI__.keyseat;

function show(status) {
  document.getElementById('state').textContent = status.state.replace('_', ' ');
  const detail = [];
  if (status.keyHint) detail.push(`key ${status.keyHint}`);
  if (status.trialEndsAt) detail.push(`trial ends ${new Date(status.trialEndsAt).toLocaleDateString()}`);
  if (status.graceDeadline && status.state === 'grace') detail.push(`works offline until ${status.graceDeadline}`);
  document.getElementById('detail').textContent = detail.join(' · ');
}

function say(text) {
  document.getElementById('message').textContent = text;
}

async function run(action) {
  try {
    await action();
  } catch (e) {
    say(`${e.message ?? e} (${e.code ?? 'error'})`);
  }
}

document.getElementById('activate-form').addEventListener('submit', (event) => {
  event.preventDefault();
  run(async () => {
    const status = await keyseat.activate(document.getElementById('key').value);
    document.getElementById('key').value = '';
    show(status);
    say('Activated.');
  });
});
document.getElementById('trial').addEventListener('click', () =>
  run(async () => show(await keyseat.startTrial())));
document.getElementById('deactivate').addEventListener('click', () =>
  run(async () => {
    say(`Deactivated: ${await keyseat.deactivate()}.`);
    show(await keyseat.status());
  }));

keyseat.onStatusChanged(show);
run(async () => show(await keyseat.status()));
