/**
 * tfjs-backend-wasm frees a disposed tensor's memory with free(), which leaves the bytes in the
 * wasm heap: the input photo and every intermediate (resized, normalised copies) stay readable
 * until the allocator reuses them. This wraps the backend's disposeData so that the tensor's
 * heap range is zeroed just before it is freed.
 *
 * It relies on internals of @tensorflow/tfjs-backend-wasm 4.22.0 (`dataIdMap`, `memoryOffset`,
 * `wasm.HEAPU8`); the version is pinned in package.json and wasm-heap-wipe.test.ts fails if a
 * different version stops exposing them.
 */
interface TensorData {
  memoryOffset: number | null;
  shape: number[];
  dtype: string;
  refCount: number;
}

interface WasmBackendInternals {
  dataIdMap: { get(dataId: object): TensorData | undefined; has(dataId: object): boolean };
  wasm: { HEAPU8: Uint8Array };
  disposeData(dataId: object, force?: boolean): boolean;
}

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

function isWasmBackend(backend: unknown): backend is WasmBackendInternals {
  const b = backend as Partial<WasmBackendInternals> | null;
  return !!b && typeof b.disposeData === 'function' && !!b.dataIdMap && !!b.wasm && b.wasm.HEAPU8 instanceof Uint8Array;
}

export function wipeWasmTensorsOnDispose(backend: unknown): void {
  if (!isWasmBackend(backend)) {
    throw new Error('tfjs wasm backend internals not found: the heap wipe cannot be installed (is tfjs-backend-wasm still 4.22.0?)');
  }
  const original = backend.disposeData.bind(backend);
  backend.disposeData = (dataId: object, force = false): boolean => {
    const data = backend.dataIdMap.get(dataId);
    if (data && data.memoryOffset !== null && (force || data.refCount <= 1)) {
      const elements = data.shape.reduce((n, d) => n * d, 1);
      const bytes = elements * (BYTES_PER_ELEMENT[data.dtype] ?? 0);
      // HEAPU8 is re-read each time: the view is replaced whenever the wasm memory grows.
      backend.wasm.HEAPU8.fill(0, data.memoryOffset, data.memoryOffset + bytes);
    }
    return original(dataId, force);
  };
}
