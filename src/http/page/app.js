// The try-it page. Keeps nothing: the key and the photo live in this page's memory only
// (no localStorage, no cookies, no service worker), and object URLs are revoked when replaced.
const $ = (id) => document.getElementById(id);
const state = { photo: null, template: null, urls: { original: null, result: null } };

function setStatus(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
}

function authHeaders() {
  const key = $('key').value.trim();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

function showBlob(slot, blob) {
  if (state.urls[slot]) URL.revokeObjectURL(state.urls[slot]);
  state.urls[slot] = blob ? URL.createObjectURL(blob) : null;
  if (state.urls[slot]) $(slot).src = state.urls[slot];
  else $(slot).removeAttribute('src');
}

async function problemText(response) {
  try {
    const body = await response.json();
    return `${body.title ?? response.statusText}: ${body.detail ?? ''} (${body.code ?? response.status})`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

async function loadGallery() {
  const response = await fetch('/v1/templates', { headers: authHeaders() });
  if (!response.ok) {
    setStatus(`Templates could not be loaded — ${await problemText(response)}`, true);
    return;
  }
  const { templates } = await response.json();
  const gallery = $('gallery');
  gallery.replaceChildren(...templates.map((t) => {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.template = t.id;
    button.setAttribute('aria-pressed', 'false');
    button.title = t.description;
    const img = document.createElement('img');
    img.src = t.previewUrl;
    img.alt = '';
    const name = document.createElement('span');
    name.textContent = `${t.name} (${t.kind})`;
    button.append(img, name);
    button.addEventListener('click', () => choose(t.id));
    item.append(button);
    return item;
  }));
}

function choose(id) {
  state.template = id;
  for (const button of document.querySelectorAll('.gallery button')) {
    button.setAttribute('aria-pressed', String(button.dataset.template === id));
  }
  void render();
}

function upload(path) {
  const form = new FormData();
  form.append('image', state.photo);
  return fetch(path, { method: 'POST', body: form, headers: authHeaders() });
}

async function drawLandmarks() {
  const canvas = $('landmarks');
  const context = canvas.getContext('2d');
  context.clearRect(0, 0, canvas.width, canvas.height);
  if (!state.photo || !$('show-landmarks').checked) return;
  const response = await upload('/v1/landmarks');
  if (!response.ok) {
    setStatus(`Landmarks failed — ${await problemText(response)}`, true);
    return;
  }
  const { width, height, faces } = await response.json();
  canvas.width = width;
  canvas.height = height;
  const dot = Math.max(2, width / 400);
  context.fillStyle = '#00e5ff';
  context.strokeStyle = '#ffeb3b';
  context.lineWidth = dot / 2;
  for (const face of faces) {
    context.strokeRect(face.box.x, face.box.y, face.box.width, face.box.height);
    for (const [x, y] of face.landmarks) context.fillRect(x - dot / 2, y - dot / 2, dot, dot);
  }
  setStatus(`${faces.length} face(s) found.`);
}

async function render() {
  if (!state.photo) {
    setStatus('Pick a photo.');
    return;
  }
  if (!state.template) {
    setStatus('Pick a template.');
    return;
  }
  setStatus('Working…');
  const started = performance.now();
  const response = await upload(`/v1/effects/${encodeURIComponent(state.template)}`);
  if (!response.ok) {
    showBlob('result', null);
    setStatus(`The effect failed — ${await problemText(response)}`, true);
    return;
  }
  showBlob('result', await response.blob());
  const faces = response.headers.get('X-Faces-Used');
  setStatus(`Done in ${Math.round(performance.now() - started)} ms${faces ? `, ${faces} face(s) used` : ''}.`);
}

$('photo').addEventListener('change', () => {
  state.photo = $('photo').files?.[0] ?? null;
  showBlob('original', state.photo);
  void drawLandmarks();
  void render();
});
$('show-landmarks').addEventListener('change', () => void drawLandmarks());
$('key').addEventListener('change', () => void loadGallery());
void loadGallery();
