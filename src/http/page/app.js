// The try-it page. Keeps nothing: the key, the photo and the picture live in this page's memory
// only (no localStorage, no cookies, no service worker); object URLs are revoked when replaced and
// the camera is stopped as soon as the photo is taken. The camera is opened only on request.
const $ = (id) => document.getElementById(id);
const NARROW = window.matchMedia('(max-width: 48rem)');
const EXTENSIONS = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'image/avif': 'avif' };

const state = {
  photo: null,
  /** The caller's own portrait, for /v1/merge (a File in memory only, like the photo). */
  portrait: null,
  templates: [],
  template: null,
  result: null,
  urls: { original: null, result: null },
  camera: null,
  // Re-run when a key is entered: whatever was refused for the lack of one.
  waitingForKey: new Set(),
  renderSeq: 0,
  landmarksSeq: 0,
};

function setStatus(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
}

function authHeaders() {
  const key = $('key').value.trim();
  // Bearer carries both kinds of credential: a partner key and an app backend's token.
  return key ? { Authorization: `Bearer ${key}` } : {};
}

function objectUrl(slot, blob) {
  if (state.urls[slot]) URL.revokeObjectURL(state.urls[slot]);
  state.urls[slot] = blob ? URL.createObjectURL(blob) : null;
  return state.urls[slot];
}

async function readProblem(response) {
  try {
    const body = await response.json();
    return { code: body.code ?? '', detail: body.detail ?? '', status: response.status };
  } catch {
    return { code: '', detail: '', status: response.status };
  }
}

/** Plain words for a refusal. A missing or refused key opens the key prompt and remembers what to re-run. */
function explain(problem, rerun) {
  if (problem.status === 401 || problem.status === 403) {
    state.waitingForKey.add(rerun);
    const message = problem.code === 'missing_credentials'
      ? 'To make pictures, this page needs the access key you were given. Paste it here; it stays in this page only and is forgotten when you close it.'
      : problem.status === 403
        ? 'This key may not make pictures. Paste another key.'
        : 'That key was not accepted. Check it (every character counts) and paste it again.';
    showKeyPanel(message);
    return 'An access key is needed.';
  }
  switch (problem.code) {
    case 'no_face_detected': return 'No face was found in this photo. Try one where a face is seen from the front, in good light.';
    case 'face_too_small': return 'The face is too small in this photo. Try a closer one.';
    case 'rate_limited':
    case 'quota_exceeded':
    case 'overloaded':
    case 'timeout':
    case 'not_ready': return `The service is busy. ${problem.detail}`;
    default: return problem.detail || `Something went wrong (HTTP ${problem.status}).`;
  }
}

function showKeyPanel(message) {
  $('key-message').textContent = message;
  $('key-panel').hidden = false;
  $('key').focus();
}

$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  if (!$('key').value.trim()) return;
  $('key-panel').hidden = true;
  const reruns = [...state.waitingForKey];
  state.waitingForKey.clear();
  setStatus('Key entered.');
  for (const rerun of reruns) void rerun();
});
$('key-change').addEventListener('click', () => showKeyPanel('Paste the access key you were given. It stays in this page only.'));

// ---- templates -------------------------------------------------------------------------------

async function loadGallery() {
  const response = await fetch('/v1/templates');
  if (!response.ok) {
    setStatus(`The templates could not be loaded. ${explain(await readProblem(response), loadGallery)}`, true);
    return;
  }
  state.templates = (await response.json()).templates;
  $('gallery').replaceChildren(...state.templates.map((t) => {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.template = t.id;
    button.setAttribute('aria-pressed', 'false');
    button.setAttribute('aria-describedby', `template-${t.id}-description`);
    const img = document.createElement('img');
    img.src = t.previewUrl;
    img.alt = ''; // the name beside it says what it is
    img.loading = 'lazy';
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = t.name;
    const description = document.createElement('span');
    description.id = `template-${t.id}-description`;
    description.className = 'visually-hidden';
    description.textContent = `${t.kind.replace(/-/g, ' ')}: ${t.description}`;
    button.append(img, name, description);
    button.addEventListener('click', () => chooseTemplate(t.id));
    item.append(button);
    return item;
  }));
}

/** Not a catalogue template: the caller's own portrait, sent with the photo to /v1/merge. */
const OWN_PORTRAIT = { id: 'merge', name: 'Your own portrait' };

$('portrait').addEventListener('change', () => {
  const file = $('portrait').files?.[0];
  if (!file) return;
  state.portrait = file;
  chooseTemplate(OWN_PORTRAIT.id);
});

function chooseTemplate(id) {
  state.template = id === OWN_PORTRAIT.id ? OWN_PORTRAIT : state.templates.find((t) => t.id === id) ?? null;
  for (const button of document.querySelectorAll('.gallery button')) {
    button.setAttribute('aria-pressed', String(button.dataset.template === id));
  }
  if (!state.photo) {
    setStatus('Template chosen. Now choose a photo or use the camera.');
    $('photo-step').scrollIntoView({ block: 'start' });
    return;
  }
  void render({ reveal: true });
}

/** The size choices the service allows (its OpenAPI document says the maximum). */
async function loadLimits() {
  try {
    const doc = await (await fetch('/openapi.json')).json();
    const max = doc.components.schemas.EffectRequest.properties.maxSize.maximum;
    for (const option of [...$('size').options]) if (Number(option.value) > max) option.remove();
    if (![...$('size').options].some((o) => Number(o.value) === max)) $('size').add(new Option(`Largest (${max} px)`, String(max)));
  } catch { /* the fixed choices stay */ }
}

// ---- the photo -------------------------------------------------------------------------------

function setPhoto(blob) {
  state.photo = blob;
  $('original').src = objectUrl('original', blob);
  $('original-figure').hidden = false;
  $('result-panel').classList.remove('waiting');
  clearCanvas();
  void drawLandmarks();
  if (state.template) void render({ reveal: true });
  else {
    setStatus('Photo ready. Now choose a template.');
    $('template-heading').scrollIntoView({ block: 'start' });
  }
}

$('photo').addEventListener('change', () => {
  const file = $('photo').files?.[0];
  if (file) setPhoto(file);
});

const drop = $('drop');
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  const file = event.dataTransfer?.files?.[0];
  if (file) setPhoto(file);
});

// ---- the camera (on request only) ------------------------------------------------------------

function stopCamera() {
  for (const track of state.camera?.getTracks() ?? []) track.stop();
  state.camera = null;
  $('camera-video').srcObject = null;
  $('camera').hidden = true;
  $('drop').hidden = false;
}

$('camera-start').addEventListener('click', async () => {
  if (!navigator.mediaDevices?.getUserMedia) {
    setStatus('The camera cannot be used on this page (it needs a secure https address). Choose a photo instead.', true);
    return;
  }
  try {
    state.camera = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user', width: { ideal: 1280 } }, audio: false });
  } catch (error) {
    setStatus(error?.name === 'NotAllowedError'
      ? 'The camera was not allowed. You can allow it in the browser, or choose a photo instead.'
      : 'No camera could be opened. Choose a photo instead.', true);
    return;
  }
  $('camera-video').srcObject = state.camera;
  $('camera').hidden = false;
  $('drop').hidden = true;
  await $('camera-video').play();
  $('camera-take').focus();
  setStatus('The camera is on. Take the photo when ready.');
});

$('camera-take').addEventListener('click', () => {
  const video = $('camera-video');
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext('2d').drawImage(video, 0, 0);
  stopCamera();
  canvas.toBlob((blob) => { if (blob) setPhoto(blob); }, 'image/jpeg', 0.92);
});
$('camera-cancel').addEventListener('click', () => {
  stopCamera();
  setStatus('Camera closed.');
  $('camera-start').focus();
});

// ---- landmarks (and pose, when the answer carries it) ----------------------------------------

function clearCanvas() {
  const canvas = $('landmarks');
  canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
}

async function drawLandmarks() {
  clearCanvas();
  if (!state.photo || !$('show-landmarks').checked) return;
  const seq = ++state.landmarksSeq;
  const form = new FormData();
  form.append('image', state.photo, 'photo');
  const response = await fetch('/v1/landmarks', { method: 'POST', body: form, headers: authHeaders() });
  if (seq !== state.landmarksSeq) return;
  if (!response.ok) {
    setStatus(`The faces could not be found. ${explain(await readProblem(response), drawLandmarks)}`, true);
    return;
  }
  const { width, height, faces } = await response.json();
  const canvas = $('landmarks');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  const dot = Math.max(2, width / 400);
  context.lineWidth = dot / 2;
  context.font = `${Math.round(dot * 7)}px system-ui, sans-serif`;
  for (const face of faces) {
    context.strokeStyle = '#ffeb3b';
    context.strokeRect(face.box.x, face.box.y, face.box.width, face.box.height);
    context.fillStyle = '#00e5ff';
    for (const [x, y] of face.landmarks) context.fillRect(x - dot / 2, y - dot / 2, dot, dot);
    const pose = face.pose;
    if (pose && ['yaw', 'pitch', 'roll'].every((k) => typeof pose[k] === 'number')) {
      const label = `yaw ${Math.round(pose.yaw)}° pitch ${Math.round(pose.pitch)}° roll ${Math.round(pose.roll)}°`;
      context.fillStyle = '#ffeb3b';
      context.fillText(label, face.box.x, Math.max(dot * 7, face.box.y - dot * 2));
    }
  }
  const n = faces.length;
  setStatus(n === 0 ? 'No face found in this photo.' : `${n} face${n === 1 ? '' : 's'} found.`);
}
$('show-landmarks').addEventListener('change', () => void drawLandmarks());

// ---- the picture -----------------------------------------------------------------------------

function settings() {
  return { strength: $('strength').value, shape: $('shape').value, face: $('face').value, format: $('format').value, maxSize: $('size').value };
}

async function render({ reveal = false } = {}) {
  if (!state.photo || !state.template) return;
  const seq = ++state.renderSeq;
  const template = state.template;
  const form = new FormData();
  form.append('image', state.photo, 'photo');
  const merge = template.id === OWN_PORTRAIT.id;
  if (merge) form.append('template', state.portrait, 'portrait');
  for (const [name, value] of Object.entries(settings())) form.append(name, value);
  $('result-frame').setAttribute('aria-busy', 'true');
  setStatus(`Making your picture with “${template.name}”…`);
  if (reveal && NARROW.matches) $('result-panel').scrollIntoView({ block: 'start' });
  const started = performance.now();
  const url = merge ? '/v1/merge' : `/v1/effects/${encodeURIComponent(template.id)}`;
  const response = await fetch(url, { method: 'POST', body: form, headers: authHeaders() });
  if (seq !== state.renderSeq) return;
  $('result-frame').setAttribute('aria-busy', 'false');
  if (!response.ok) {
    showResult(null);
    setStatus(explain(await readProblem(response), () => render({ reveal: true })), true);
    return;
  }
  const blob = await response.blob();
  if (seq !== state.renderSeq) return;
  showResult(blob, template);
  const faces = Number(response.headers.get('X-Faces-Used') ?? 0);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  setStatus(`Your picture is ready (${faces} face${faces === 1 ? '' : 's'} used, ${seconds} s).`);
  $('result-info').textContent = `${template.name} · ${blob.type.replace('image/', '').toUpperCase()} · ${Math.round(blob.size / 1024)} KiB`;
  if (reveal) $('result-heading').focus({ preventScroll: !NARROW.matches });
}

function showResult(blob, template) {
  const url = objectUrl('result', blob);
  state.result = blob ? new File([blob], `mayfly-${template.id}.${EXTENSIONS[blob.type] ?? 'img'}`, { type: blob.type }) : null;
  if (url) {
    $('result').src = url;
    $('result').alt = `Your photo in the template “${template.name}”`;
  } else {
    $('result').removeAttribute('src');
    $('result').alt = '';
    $('result-info').textContent = '';
  }
  $('result-placeholder').hidden = Boolean(url);
  $('download').hidden = !url;
  if (url) {
    $('download').href = url;
    $('download').download = state.result.name;
  }
  $('share').hidden = !(url && navigator.canShare?.({ files: [state.result] }));
}

$('share').addEventListener('click', async () => {
  if (!state.result) return;
  try {
    await navigator.share({ files: [state.result], title: 'My mayfly picture' });
  } catch (error) {
    if (error?.name !== 'AbortError') setStatus('The picture could not be shared. Download it instead.', true);
  }
});

$('strength').addEventListener('input', () => { $('strength-value').textContent = $('strength').value; });
$('shape').addEventListener('input', () => { $('shape-value').textContent = $('shape').value; });
// A setting changed: make the picture again (once the slider is let go).
$('settings').addEventListener('change', () => void render());
$('settings').addEventListener('submit', (event) => event.preventDefault());

void loadGallery();
void loadLimits();
