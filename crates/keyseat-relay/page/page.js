// The customer page of keyseat-relay: a key's seats, seen and freed; an offline request
// turned into a machine file; a release proof sent. Plain JavaScript, no build step. The
// key goes to this relay alone and is kept nowhere.
'use strict';

const status = document.getElementById('status');

function say(message, isError) {
  status.classList.toggle('error', Boolean(isError));
  status.textContent = message;
}

// 128 random bits, as the relay protocol asks of every license request.
function nonce() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function post(path, body, asJson) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': asJson ? 'application/json' : 'text/plain' },
    body: asJson ? JSON.stringify(body) : body,
  });
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { json = null; }
  return { ok: response.ok, status: response.status, text, json };
}

// The refusal's message, in words a customer reads.
function refusal(answer) {
  if (answer.status === 429) return 'Too many requests: please wait a minute and try again.';
  const message = answer.json && (answer.json.message || (answer.json.error && answer.json.error.message));
  if (answer.status === 404) return 'This server knows no seats of that key.';
  return message ? `That did not work: ${message}` : `That did not work (error ${answer.status}).`;
}

function licenseKey() {
  return document.getElementById('license-key').value.trim();
}

function when(text) {
  if (!text) return 'unknown';
  const date = new Date(text);
  return isNaN(date) ? text : date.toLocaleString();
}

function renderSeats(seats) {
  const rows = document.getElementById('seat-rows');
  rows.replaceChildren();
  for (const seat of seats) {
    const row = document.createElement('tr');
    row.dataset.seat = seat.id;
    const name = document.createElement('td');
    name.textContent = seat.name || '(no name)';
    const made = document.createElement('td');
    made.textContent = when(seat.created_at);
    const id = document.createElement('td');
    const code = document.createElement('code');
    code.textContent = seat.id;
    id.append(code);
    const action = document.createElement('td');
    const free = document.createElement('button');
    free.type = 'button';
    free.className = 'secondary';
    free.textContent = 'Free this seat';
    free.setAttribute('aria-label', `Free the seat of ${seat.name || seat.id}`);
    free.addEventListener('click', () => freeSeat(seat, row));
    action.append(free);
    row.append(name, made, id, action);
    rows.append(row);
  }
  document.getElementById('seats').hidden = seats.length === 0;
}

async function showSeats(event) {
  event.preventDefault();
  const key = licenseKey();
  if (!key) return say('Enter your license key.', true);
  say('Looking up the seats…');
  const answer = await post('/v1/licenses/seats', { license_key: key, nonce: nonce() }, true);
  if (!answer.ok || !answer.json || !Array.isArray(answer.json.seats)) {
    document.getElementById('seats').hidden = true;
    return say(refusal(answer), true);
  }
  renderSeats(answer.json.seats);
  const n = answer.json.seats.length;
  say(n === 0 ? 'This key holds no seats.' : `This key holds ${n} seat${n === 1 ? '' : 's'}.`);
}

async function freeSeat(seat, row) {
  const key = licenseKey();
  const answer = await post(
    '/v1/licenses/deactivate',
    { license_key: key, license_key_instance_id: seat.id, nonce: nonce() },
    true,
  );
  if (!answer.ok) return say(refusal(answer), true);
  row.remove();
  const left = document.getElementById('seat-rows').children.length;
  say(`Freed the seat of ${seat.name || seat.id}. ${left} seat${left === 1 ? '' : 's'} left.`);
  document.getElementById('license-key').focus();
}

async function fileText(inputId) {
  const input = document.getElementById(inputId);
  const file = input.files && input.files[0];
  return file ? file.text() : null;
}

async function machineFile(event) {
  event.preventDefault();
  const request = await fileText('request-file');
  if (!request) return say('Choose the activation request file.', true);
  say('Making the machine file…');
  const answer = await post('/v1/offline', request, false);
  if (!answer.ok) return say(refusal(answer), true);
  const link = document.getElementById('machine-file-link');
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([answer.text], { type: 'text/plain' }));
  document.getElementById('machine-file').hidden = false;
  say('The machine file is ready: download it and load it into the app on the offline computer.');
  link.focus();
}

async function release(event) {
  event.preventDefault();
  const proof = await fileText('release-file');
  if (!proof) return say('Choose the release proof file.', true);
  const answer = await post('/v1/offline/release', proof, false);
  if (!answer.ok) return say(refusal(answer), true);
  say(answer.json && answer.json.already
    ? 'That seat was freed before.'
    : 'The offline computer\u2019s seat is free again.');
}

document.getElementById('seats-form').addEventListener('submit', showSeats);
document.getElementById('offline-form').addEventListener('submit', machineFile);
document.getElementById('release-form').addEventListener('submit', release);
