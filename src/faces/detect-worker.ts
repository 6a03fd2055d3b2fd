/**
 * Entry point of one inference worker thread: loads its own model set, then answers detect
 * requests one at a time. Pixels arrive transferred (the main thread no longer has them) and
 * are zeroed here as soon as they are inside a tensor.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadFaceModel, type FaceModel } from './face-model.js';
import type { DetectRequest, WorkerMessage, WorkerSettings } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('detect-worker.ts must run in a worker thread');

function send(message: WorkerMessage): void {
  port!.postMessage(message);
}

let model: FaceModel;
try {
  model = await loadFaceModel(workerData as WorkerSettings);
  send({ type: 'ready', info: model.info });
} catch (error) {
  send({ type: 'fatal', message: (error as Error).message });
  process.exit(1);
}

port.on('message', (request: DetectRequest) => {
  const pixels = new Uint8Array(request.pixels);
  const started = performance.now();
  model.detect(pixels, request.width, request.height).then(
    (faces) => send({ type: 'result', id: request.id, faces, ms: performance.now() - started }),
    (error: unknown) => {
      pixels.fill(0);
      send({ type: 'failed', id: request.id, message: (error as Error).message });
    },
  );
});
